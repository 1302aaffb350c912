using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ChatOpsBot.Core.Doctor;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Doctor;

/// <summary>
/// What iOS asks of <c>PublicBaseUrl</c> before it installs anything: https, a DNS name that resolves, and a
/// certificate that a public CA issued for that name and that has not expired. The first question of every
/// over-the-air troubleshooting guide, asked of the configured origin the way a phone would.
/// </summary>
internal sealed class PublicBaseUrlChecks(IOptions<ChatOpsBotOptions> options, DoctorNetwork network, TimeProvider time)
{
    public const string UrlCheck = "PublicBaseUrl";
    public const string NameCheck = "PublicBaseUrl name";
    public const string CertificateCheck = "PublicBaseUrl certificate";

    /// <summary>Under this much validity left, a certificate is a warning: renewal has failed or is not automated.</summary>
    internal static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(14);

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    public async Task<IReadOnlyList<DoctorFinding>> RunAsync(CancellationToken cancellationToken)
    {
        var configured = options.Value.PublicBaseUrl;
        if (!PublicBaseUrl.TryParse(configured, out var url, out var invalid))
            return [DoctorFinding.Problem(UrlCheck, $"{ChatOpsBotOptions.Section}:PublicBaseUrl {invalid}")];
        if (url.Scheme == Uri.UriSchemeHttp)
            return [DoctorFinding.Warning(UrlCheck,
                $"{url.GetLeftPart(UriPartial.Authority)} is plain http on loopback, which is for trying ChatOpsBot out: iOS installs only over https, so set {ChatOpsBotOptions.Section}:PublicBaseUrl to the https address of a host with a publicly trusted certificate.")];

        List<DoctorFinding> findings = [DoctorFinding.Ok(UrlCheck, $"{url.GetLeftPart(UriPartial.Authority)} is https.")];
        var host = url.IdnHost;
        if (IPAddress.TryParse(host, out _))
        {
            findings.Add(DoctorFinding.Problem(NameCheck,
                $"{host} is an IP address: public certificate authorities issue certificates for DNS names, so give the host a DNS name and use it in {ChatOpsBotOptions.Section}:PublicBaseUrl."));
        }
        else
        {
            IPAddress[] addresses;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(Timeout);
                addresses = await network.Resolve(host, timeout.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                addresses = [];
            }
            if (addresses.Length == 0)
            {
                findings.Add(DoctorFinding.Problem(NameCheck, $"{host} does not resolve here: create its DNS record (A or AAAA) pointing at the reverse proxy in front of ChatOpsBot."));
                return findings;
            }
            findings.Add(DoctorFinding.Ok(NameCheck, $"{host} resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}."));
        }

        using var certificates = await HandshakeAsync(host, url.Port, cancellationToken);
        if (certificates.Failure is { } failure)
        {
            findings.Add(DoctorFinding.Problem(CertificateCheck, failure));
            return findings;
        }
        findings.AddRange(Judge(certificates.Leaf!, certificates.Intermediates, host, time.GetUtcNow(), network.TrustedRoots));
        return findings;
    }

    /// <summary>
    /// What iOS would say of this certificate for <paramref name="host"/> at <paramref name="now"/>: whether its chain
    /// ends in a trusted root (the system's, or <paramref name="trustedRoots"/> only), names the host in its subject
    /// alternative names (iOS ignores the common name) and is within its validity, with a warning for the last
    /// <see cref="ExpiryWarning"/>.
    /// </summary>
    internal static List<DoctorFinding> Judge(X509Certificate2 leaf, X509Certificate2Collection intermediates, string host, DateTimeOffset now, X509Certificate2Collection? trustedRoots)
    {
        List<DoctorFinding> findings = [];
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        // Revocation and fetching missing intermediates need the network; iOS does not fetch a missing intermediate either.
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = now.UtcDateTime;
        policy.VerificationTimeIgnored = false;
        policy.ApplicationPolicy.Add(new Oid(ServerAuthentication));
        policy.ExtraStore.AddRange(intermediates);
        if (trustedRoots is not null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(trustedRoots);
        }
        chain.Build(leaf);
        var status = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        try
        {
            var expiry = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
            var start = new DateTimeOffset(leaf.NotBefore.ToUniversalTime());
            var untrusted = status & ~(X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested);
            var selfSigned = leaf.SubjectName.RawData.AsSpan().SequenceEqual(leaf.IssuerName.RawData);
            if (untrusted != X509ChainStatusFlags.NoError)
                findings.Add(DoctorFinding.Problem(CertificateCheck, Untrusted(leaf, chain, untrusted, selfSigned)));
            if (!leaf.MatchesHostname(host, allowWildcards: true, allowCommonName: false))
                findings.Add(DoctorFinding.Problem(CertificateCheck,
                    $"the certificate is for {Names(leaf)}, not {host}, so iOS refuses the connection: get one whose subject alternative names include {host}."));
            if (now >= expiry)
                findings.Add(DoctorFinding.Problem(CertificateCheck,
                    $"the certificate expired on {Day(expiry)}, so iOS refuses to install: renew it (and automate renewal, as with Let's Encrypt)."));
            else if (now < start)
                findings.Add(DoctorFinding.Problem(CertificateCheck,
                    $"the certificate is valid only from {Day(start)}: check this machine's clock and the certificate's dates."));
            else if (expiry - now < ExpiryWarning)
                findings.Add(DoctorFinding.Warning(CertificateCheck,
                    $"the certificate for {host} expires on {Day(expiry)}, in {(int)Math.Ceiling((expiry - now).TotalDays)} days: renew it now, before installs start failing."));
            if (findings.Count == 0)
                findings.Add(DoctorFinding.Ok(CertificateCheck, $"valid for {host} until {Day(expiry)}, issued by {Issuer(chain, leaf)}."));
            return findings;
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, leaf))
                    element.Certificate.Dispose();
            }
        }
    }

    private static string Untrusted(X509Certificate2 leaf, X509Chain chain, X509ChainStatusFlags status, bool selfSigned)
    {
        var reason = "iOS installs only from a host whose certificate chains to a publicly trusted CA: get a certificate from a public CA (for example Let's Encrypt) and serve it with its intermediates.";
        if (selfSigned)
            return $"the certificate is self-signed ({leaf.Subject}), which is why iOS will refuse to install: {reason}";
        if (status.HasFlag(X509ChainStatusFlags.UntrustedRoot))
            return $"the certificate chains to {chain.ChainElements[^1].Certificate.Subject}, a private CA that iOS does not trust, which is why iOS will refuse to install: {reason}";
        if (status.HasFlag(X509ChainStatusFlags.PartialChain))
            return $"the certificate's issuer {leaf.Issuer} is neither sent by the server nor trusted here: a private CA, or a missing intermediate certificate, is why iOS will refuse to install: {reason}";
        var flags = string.Join(", ", chain.ChainStatus.Where(s => (s.Status & status) != 0).Select(s => s.Status.ToString()).Distinct(StringComparer.Ordinal));
        return $"the certificate chain is not valid ({flags}), so iOS will refuse to install: {reason}";
    }

    private static string Names(X509Certificate2 leaf)
    {
        var names = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToList();
        return names.Count > 0 ? string.Join(", ", names) : $"no DNS name (subject {leaf.Subject})";
    }

    private static string Issuer(X509Chain chain, X509Certificate2 leaf)
    {
        var issuer = chain.ChainElements.Count > 1 ? chain.ChainElements[1].Certificate : leaf;
        return issuer.GetNameInfo(X509NameType.SimpleName, forIssuer: false) is { Length: > 0 } name ? name : issuer.Subject;
    }

    private static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Connects as a phone would and keeps what the server presented; the judging is done afterwards.</summary>
    private async Task<Presented> HandshakeAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        X509Certificate2? leaf = null;
        var intermediates = new X509Certificate2Collection();
        try
        {
            using var socket = await network.ConnectAsync(host, port, timeout.Token);
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                RemoteCertificateValidationCallback = (_, certificate, chain, _) => Keep(certificate, chain, ref leaf, intermediates),
            }, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or AuthenticationException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            leaf?.Dispose();
            return new Presented(null, intermediates,
                $"no TLS connection to {host}:{port.ToString(CultureInfo.InvariantCulture)} ({(e is OperationCanceledException ? "no answer" : e.Message)}): make the reverse proxy in front of ChatOpsBot listen there with its certificate.");
        }
        return leaf is null
            ? new Presented(null, intermediates, $"{host}:{port.ToString(CultureInfo.InvariantCulture)} presented no certificate: configure the reverse proxy's certificate.")
            : new Presented(leaf, intermediates, null);
    }

    /// <summary>Keeps the certificate and what the server sent with it, and lets the handshake finish: <see cref="Judge"/> decides.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5359", Justification = "Nothing is sent over this connection; the certificate is judged after the handshake.")]
    private static bool Keep(X509Certificate? certificate, X509Chain? chain, ref X509Certificate2? leaf, X509Certificate2Collection intermediates)
    {
        if (certificate is not null)
            leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        // The server's own chain, as sent: the judging must not lean on what this machine already has.
        foreach (var element in chain?.ChainPolicy.ExtraStore ?? [])
            intermediates.Add(X509CertificateLoader.LoadCertificate(element.RawData));
        return true;
    }

    private sealed record Presented(X509Certificate2? Leaf, X509Certificate2Collection Intermediates, string? Failure) : IDisposable
    {
        public void Dispose()
        {
            Leaf?.Dispose();
            foreach (var certificate in Intermediates)
                certificate.Dispose();
        }
    }
}
