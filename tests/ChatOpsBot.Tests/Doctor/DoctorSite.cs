using System.Net;
using System.Security.Cryptography.X509Certificates;
using ChatOpsBot.Core.Doctor;
using ChatOpsBot.Features.Doctor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOpsBot.Tests.Doctor;

/// <summary>
/// The real host behind a TLS front at https://chatops.test:{port} (the name resolved to 127.0.0.1 by the doctor's
/// seam, the certificate from a CA the test trusts) whose proxy passes requests on faithfully or with one fault; the
/// host's <c>PublicBaseUrl</c> is the front.
/// </summary>
internal sealed record DoctorSite(ChatOpsBotApplication App, TlsFront Front, RewritingProxy Proxy) : IAsyncDisposable
{
    public const string Host = "chatops.test";

    public string Origin => $"https://{Host}:{Front.Port}";

    public static async Task<DoctorSite> StartAsync(X509Certificate2 certificate, X509Certificate2 ca, ProxyFault fault, Dictionary<string, string?>? settings = null)
    {
        var proxy = new RewritingProxy(fault);
        var front = await TlsFront.StartAsync(certificate, proxy.HandleAsync);
        var network = new DoctorNetwork
        {
            Resolve = (name, _) => Task.FromResult(name == Host ? new[] { IPAddress.Loopback } : []),
            TrustedRoots = [ca],
        };
        settings ??= [];
        settings["ChatOpsBot:PublicBaseUrl"] = $"https://{Host}:{front.Port}";
        var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(settings),
            services: services => services.Replace(ServiceDescriptor.Singleton(network)));
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        proxy.Upstream = api.BaseAddress;
        return new DoctorSite(app, front, proxy);
    }

    public async Task<IReadOnlyList<DoctorFinding>> RunDoctorAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ChatOpsBot.Features.Doctor.Doctor>().RunAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Front.DisposeAsync();
        Proxy.Dispose();
    }
}
