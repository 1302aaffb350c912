using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Doctor;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Doctor;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOpsBot.Tests.Doctor;

/// <summary>
/// The doctor against the real host, through a TLS front at https://chatops.test:{port} (the name resolved to
/// 127.0.0.1 by the doctor's seam, its certificate from a CA the test trusts) that proxies to the host: faithfully,
/// or with the faults real proxies have.
/// </summary>
public sealed partial class InstallProbeTests : IDisposable
{
    private readonly X509Certificate2 _ca;
    private readonly X509Certificate2 _certificate;

    public InstallProbeTests()
    {
        _ca = TestCertificates.Authority("Test Public Root CA");
        _certificate = TestCertificates.Server(DoctorSite.Host, _ca);
    }

    public void Dispose()
    {
        _certificate.Dispose();
        _ca.Dispose();
    }

    [Fact]
    public async Task ThroughAFaithfulProxyEveryCheckIsOkAndTheProbeLinkIsShortLivedAndRevoked()
    {
        await using var site = await SiteAsync(ProxyFault.None, upload: true);

        var findings = await site.RunDoctorAsync();

        // Job storage aside: on PostgreSQL it looks for a job server, and this host runs none (StorageCheckTests).
        Assert.True(findings.Where(f => f.Check != StorageChecks.JobsCheck).All(f => f.Verdict == DoctorVerdict.Ok), string.Join("\n", findings.Select(DoctorCommand.Format)));
        Assert.Equal("GET /i/{token} of a probe link to demo beta answered 200 text/html.", Find(findings, InstallProbe.PageCheck).Message);
        Assert.Contains("HEAD /i/{token}/app.ipa answered 200 with Accept-Ranges: bytes", Find(findings, InstallProbe.IpaCheck).Message, StringComparison.Ordinal);
        Assert.Equal(["GET /i/", "GET /i/", "HEAD /i/"], site.Proxy.Paths.Select(p => p[..(p.IndexOf('/', StringComparison.Ordinal) + 3)]));
        await using var scope = site.App.Services.CreateAsyncScope();
        var link = await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.AsNoTracking().SingleAsync();
        Assert.Equal(InstallProbe.Platform, link.Platform);
        Assert.Equal(InstallProbe.LinkLifetime, link.ExpiresAt - link.CreatedAt);
        Assert.NotNull(link.RevokedAt);
    }

    [Fact]
    public async Task ProxyThatStripsAcceptRangesIsAProblem()
    {
        await using var site = await SiteAsync(ProxyFault.StripsAcceptRanges, upload: true);

        var findings = await site.RunDoctorAsync();

        var ipa = Find(findings, InstallProbe.IpaCheck);
        Assert.Equal(DoctorVerdict.Problem, ipa.Verdict);
        Assert.Contains("without Accept-Ranges: bytes", ipa.Message, StringComparison.Ordinal);
        Assert.Equal(DoctorVerdict.Ok, Find(findings, InstallProbe.ManifestCheck).Verdict);
    }

    [Fact]
    public async Task ProxyThatAddsAQueryStringToTheIpaUrlIsAProblem()
    {
        await using var site = await SiteAsync(ProxyFault.AddsQueryStringToIpaUrl, upload: true);

        var findings = await site.RunDoctorAsync();

        var manifest = Find(findings, InstallProbe.ManifestCheck);
        Assert.Equal(DoctorVerdict.Problem, manifest.Verdict);
        Assert.Contains("carries a query string", manifest.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(findings, f => f.Check == InstallProbe.IpaCheck);
    }

    [Fact]
    public async Task ProxyThatServesTheManifestAsPlainTextIsAProblem()
    {
        await using var site = await SiteAsync(ProxyFault.ServesManifestAsPlainText, upload: true);

        var manifest = Find(await site.RunDoctorAsync(), InstallProbe.ManifestCheck);

        Assert.Equal(DoctorVerdict.Problem, manifest.Verdict);
        Assert.Contains("answered text/plain", manifest.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProxyThatDropsTheIpaLengthIsAProblem()
    {
        await using var site = await SiteAsync(ProxyFault.DropsIpaLength, upload: true);

        var ipa = Find(await site.RunDoctorAsync(), InstallProbe.IpaCheck);

        Assert.Equal(DoctorVerdict.Problem, ipa.Verdict);
        Assert.Contains("answered Content-Length (none) for a build of", ipa.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutABuildTheProbeIsAWarningThatSaysToUploadOne()
    {
        await using var site = await SiteAsync(ProxyFault.None, upload: false);

        var findings = await site.RunDoctorAsync();

        var page = Assert.Single(findings, f => f.Check == InstallProbe.PageCheck);
        Assert.Equal(DoctorVerdict.Warning, page.Verdict);
        Assert.Contains("upload one", page.Message, StringComparison.Ordinal);
        Assert.Empty(site.Proxy.Paths);
    }

    [Fact]
    public async Task NoFindingCarriesTheProbeToken()
    {
        await using var site = await SiteAsync(ProxyFault.StripsAcceptRanges, upload: true);

        var findings = await site.RunDoctorAsync();

        var tokens = site.Proxy.Paths.Select(p => TokenInPath().Match(p).Groups[1].Value).Distinct().ToList();
        var token = Assert.Single(tokens);
        Assert.True(token.Length >= 16, token);
        Assert.All(findings, f => Assert.DoesNotContain(token, f.Message, StringComparison.Ordinal));
    }

    [GeneratedRegex("/i/([^/?]+)")]
    private static partial Regex TokenInPath();

    private static DoctorFinding Find(IReadOnlyList<DoctorFinding> findings, string check) => Assert.Single(findings, f => f.Check == check);

    private async Task<DoctorSite> SiteAsync(ProxyFault fault, bool upload)
    {
        var site = await DoctorSite.StartAsync(_certificate, _ca, fault);
        if (upload)
            await site.App.UploadDemoAsync();
        return site;
    }
}
