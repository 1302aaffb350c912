using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ChatOpsBot.Core.Doctor;
using ChatOpsBot.Features.Doctor;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChatOpsBot.Tests.Doctor;

/// <summary>
/// The PublicBaseUrl checks against real TLS servers on loopback, each with a certificate made here. The name
/// chatops.test resolves to 127.0.0.1 through the doctor's seam, and only the test's "public" CA is trusted.
/// </summary>
public sealed class CertificateCheckTests : IDisposable
{
    private const string Host = "chatops.test";
    private readonly X509Certificate2 _publicCa = TestCertificates.Authority("Test Public Root CA");
    private readonly X509Certificate2 _privateCa = TestCertificates.Authority("Example Corp Internal CA");
    private readonly FakeTimeProvider _clock = new(TestCertificates.Now);
    private readonly List<string> _resolved = [];

    public void Dispose()
    {
        _publicCa.Dispose();
        _privateCa.Dispose();
    }

    [Fact]
    public async Task CertificateFromATrustedCaForTheNameIsOkWithItsExpiry()
    {
        using var certificate = TestCertificates.Server(Host, _publicCa);
        await using var front = await TlsFront.StartAsync(certificate);

        var findings = await CheckAsync($"https://{Host}:{front.Port}");

        Assert.All(findings, f => Assert.Equal(DoctorVerdict.Ok, f.Verdict));
        Assert.Equal([PublicBaseUrlChecks.UrlCheck, PublicBaseUrlChecks.NameCheck, PublicBaseUrlChecks.CertificateCheck], findings.Select(f => f.Check));
        Assert.Equal("valid for chatops.test until 2027-09-19, issued by Test Public Root CA.", findings[^1].Message);
        Assert.Equal(Host, Assert.Single(_resolved.Distinct()));
    }

    [Fact]
    public async Task CertificateFromAnIntermediateTheServerSendsIsOk()
    {
        using var intermediate = TestCertificates.Authority("Test Public Issuing CA", _publicCa);
        using var certificate = TestCertificates.Server(Host, intermediate);
        await using var front = await TlsFront.StartAsync(certificate, chain: [intermediate]);

        var finding = Assert.Single(Certificate(await CheckAsync($"https://{Host}:{front.Port}")));

        Assert.Equal(DoctorVerdict.Ok, finding.Verdict);
        Assert.EndsWith("issued by Test Public Issuing CA.", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertificateWhoseIntermediateTheServerDoesNotSendIsAProblem()
    {
        using var intermediate = TestCertificates.Authority("Test Public Issuing CA", _publicCa);
        using var certificate = TestCertificates.Server(Host, intermediate);
        await using var front = await TlsFront.StartAsync(certificate);

        var problem = Assert.Single(Certificate(await CheckAsync($"https://{Host}:{front.Port}")));

        Assert.Equal(DoctorVerdict.Problem, problem.Verdict);
        Assert.Contains("issuer CN=Test Public Issuing CA is neither sent by the server nor trusted here", problem.Message, StringComparison.Ordinal);
        Assert.Contains("serve it with its intermediates", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SelfSignedCertificateIsAProblemNamedAsTheReasonIosRefusesToInstall()
    {
        using var certificate = TestCertificates.Server(Host, issuer: null);
        await using var front = await TlsFront.StartAsync(certificate);

        var problem = Assert.Single(Certificate(await CheckAsync($"https://{Host}:{front.Port}")));

        Assert.Equal(DoctorVerdict.Problem, problem.Verdict);
        Assert.Contains("self-signed", problem.Message, StringComparison.Ordinal);
        Assert.Contains("iOS will refuse to install", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertificateOfAPrivateCaIsAProblemThatNamesTheCaAsTheReasonIosRefusesToInstall()
    {
        using var certificate = TestCertificates.Server(Host, _privateCa);
        // Sent or not, the CA's root ends no chain that iOS trusts (Kestrel leaves a self-signed root out of the chain it sends).
        await using var front = await TlsFront.StartAsync(certificate, chain: [_privateCa]);

        var problem = Assert.Single(Certificate(await CheckAsync($"https://{Host}:{front.Port}")));

        Assert.Equal(DoctorVerdict.Problem, problem.Verdict);
        Assert.Contains("issuer CN=Example Corp Internal CA", problem.Message, StringComparison.Ordinal);
        Assert.Contains("a private CA", problem.Message, StringComparison.Ordinal);
        Assert.Contains("iOS will refuse to install", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredCertificateIsAProblem()
    {
        using var certificate = TestCertificates.Server(Host, _publicCa, TestCertificates.Now.AddDays(-90), TestCertificates.Now.AddDays(-1));
        await using var front = await TlsFront.StartAsync(certificate);

        var problem = Assert.Single(Certificate(await CheckAsync($"https://{Host}:{front.Port}")));

        Assert.Equal(DoctorVerdict.Problem, problem.Verdict);
        Assert.StartsWith("the certificate expired on 2026-11-22", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertificateExpiringInFiveDaysIsAWarning()
    {
        using var certificate = TestCertificates.Server(Host, _publicCa, TestCertificates.Now.AddDays(-85), TestCertificates.Now.AddDays(5));
        await using var front = await TlsFront.StartAsync(certificate);

        var warning = Assert.Single(Certificate(await CheckAsync($"https://{Host}:{front.Port}")));

        Assert.Equal(DoctorVerdict.Warning, warning.Verdict);
        Assert.Contains("expires on 2026-11-28, in 5 days", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertificateIsOkUntilFourteenDaysBeforeExpiryThenAWarningThenAProblemAtExpiry()
    {
        var expiry = TestCertificates.Now.AddDays(60);
        using var certificate = TestCertificates.Server(Host, _publicCa, TestCertificates.Now.AddDays(-30), expiry);
        await using var front = await TlsFront.StartAsync(certificate);
        var url = $"https://{Host}:{front.Port}";

        _clock.SetUtcNow(expiry - PublicBaseUrlChecks.ExpiryWarning);
        Assert.Equal(DoctorVerdict.Ok, Assert.Single(Certificate(await CheckAsync(url))).Verdict);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(DoctorVerdict.Warning, Assert.Single(Certificate(await CheckAsync(url))).Verdict);

        _clock.SetUtcNow(expiry - TimeSpan.FromSeconds(1));
        Assert.Equal(DoctorVerdict.Warning, Assert.Single(Certificate(await CheckAsync(url))).Verdict);

        _clock.SetUtcNow(expiry);
        Assert.Equal(DoctorVerdict.Problem, Assert.Single(Certificate(await CheckAsync(url))).Verdict);
    }

    [Fact]
    public async Task CertificateForAnotherNameIsAProblemThatSaysWhichNamesItHas()
    {
        using var certificate = TestCertificates.Server("other.test", _publicCa);
        await using var front = await TlsFront.StartAsync(certificate);

        var problem = Assert.Single(Certificate(await CheckAsync($"https://{Host}:{front.Port}")));

        Assert.Equal(DoctorVerdict.Problem, problem.Verdict);
        Assert.StartsWith("the certificate is for other.test, not chatops.test", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IpAddressInsteadOfADnsNameIsAProblem()
    {
        using var certificate = TestCertificates.Server(Host, _publicCa);
        await using var front = await TlsFront.StartAsync(certificate);

        var findings = await CheckAsync($"https://127.0.0.1:{front.Port}");

        var name = Assert.Single(findings, f => f.Check == PublicBaseUrlChecks.NameCheck);
        Assert.Equal(DoctorVerdict.Problem, name.Verdict);
        Assert.StartsWith("127.0.0.1 is an IP address", name.Message, StringComparison.Ordinal);
        Assert.Empty(_resolved);
    }

    [Fact]
    public async Task NameThatDoesNotResolveIsAProblemAndNothingIsConnected()
    {
        var findings = await CheckAsync("https://nowhere.test", resolve: (_, _) => throw new SocketException((int)SocketError.HostNotFound));

        var last = findings[^1];
        Assert.Equal((PublicBaseUrlChecks.NameCheck, DoctorVerdict.Problem), (last.Check, last.Verdict));
        Assert.StartsWith("nowhere.test does not resolve here", last.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostWithoutATlsListenerIsAProblem()
    {
        var findings = await CheckAsync($"https://{Host}:{Loopback.FreePort()}");

        var problem = Assert.Single(Certificate(findings));
        Assert.Equal(DoctorVerdict.Problem, problem.Verdict);
        Assert.StartsWith($"no TLS connection to {Host}:", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainHttpOnLoopbackIsAWarningAndNoCertificateIsChecked()
    {
        var findings = await CheckAsync("http://127.0.0.1:5080");

        var warning = Assert.Single(findings);
        Assert.Equal((PublicBaseUrlChecks.UrlCheck, DoctorVerdict.Warning), (warning.Check, warning.Verdict));
        Assert.Contains("iOS installs only over https", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://ota.example.com")]
    [InlineData("ftp://ota.example.com")]
    [InlineData("")]
    public async Task PublicBaseUrlThatIsNotHttpsIsAProblem(string url)
    {
        var problem = Assert.Single(await CheckAsync(url));

        Assert.Equal((PublicBaseUrlChecks.UrlCheck, DoctorVerdict.Problem), (problem.Check, problem.Verdict));
        Assert.StartsWith("ChatOpsBot:PublicBaseUrl ", problem.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<DoctorFinding> Certificate(IReadOnlyList<DoctorFinding> findings) =>
        findings.Where(f => f.Check == PublicBaseUrlChecks.CertificateCheck);

    private Task<IReadOnlyList<DoctorFinding>> CheckAsync(string publicBaseUrl, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        var network = new DoctorNetwork
        {
            Resolve = resolve ?? ((host, _) =>
            {
                _resolved.Add(host);
                return Task.FromResult(host == Host ? new[] { IPAddress.Loopback } : []);
            }),
            TrustedRoots = [_publicCa],
        };
        var checks = new PublicBaseUrlChecks(Options.Create(new ChatOpsBotOptions { PublicBaseUrl = publicBaseUrl }), network, _clock);
        return checks.RunAsync(CancellationToken.None);
    }
}
