using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace ChatOpsBot.Features.Doctor;

/// <summary>
/// How the doctor reaches <c>PublicBaseUrl</c>: name resolution, and the roots a certificate chain must end in. The
/// host registers DNS and the system trust store; tests replace the registration with their own names and a CA they
/// made, standing for a public one. Deliberately not configuration: an operator never loosens what "trusted" means.
/// </summary>
internal sealed class DoctorNetwork
{
    /// <summary>Resolves a host name to its addresses.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; } = Dns.GetHostAddressesAsync;

    /// <summary>The only roots to trust, or null for the system's trust store.</summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }

    /// <summary>
    /// A client that connects to the addresses <see cref="Resolve"/> gives, with the URL's host name as TLS server
    /// name. It accepts any certificate: the certificate check judges it and says why iOS would refuse it, and the
    /// probes through the proxy still report what else is wrong in the same run. What it sends is a probe link of a
    /// few minutes that is revoked when the probes end.
    /// </summary>
    public HttpClient CreateProbeClient(TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = ConnectAsync,
            // The certificate check judges the certificate; the probes look past it on purpose (see above).
#pragma warning disable CA5359
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = AcceptAny },
#pragma warning restore CA5359
        };
        return new HttpClient(handler) { Timeout = timeout };
    }

    private static bool AcceptAny(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) => true;

    /// <summary>Opens a TCP connection to the first address of <paramref name="host"/> that answers.</summary>
    public async Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Resolve(host, cancellationToken);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        new NetworkStream(await ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken), ownsSocket: true);
}
