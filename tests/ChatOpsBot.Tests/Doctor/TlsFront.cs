using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Tests.Doctor;

/// <summary>
/// Kestrel on 127.0.0.1 with a certificate the test made: the reverse proxy in front of ChatOpsBot. It answers
/// every request with the handler it was started with, or 204 without one.
/// </summary>
internal sealed class TlsFront : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsFront(WebApplication app, int port) => (_app, Port) = (app, port);

    public int Port { get; }

    public static async Task<TlsFront> StartAsync(X509Certificate2 certificate, RequestDelegate? handler = null, X509Certificate2Collection? chain = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            ServerCertificateChain = chain,
        })));
        var app = builder.Build();
        app.Run(handler ?? (context =>
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        }));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new TlsFront(app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
