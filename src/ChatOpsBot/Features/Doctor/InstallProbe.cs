using System.Net;
using System.Net.Http.Headers;
using ChatOpsBot.Core.Doctor;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Links;
using ChatOpsBot.PropertyList;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Doctor;

/// <summary>
/// Fetches what an iPhone fetches, through <c>PublicBaseUrl</c> itself: the install page, the manifest and the IPA's
/// headers of a probe link to the newest active build. Whatever stands between the phone and the host (a proxy that
/// rewrites, buffers, caches or strips headers) is in the way of these requests as it is of a phone's.
/// </summary>
internal sealed class InstallProbe(ChatOpsBotDb db, InstallLinks links, DoctorNetwork network, IOptions<ChatOpsBotOptions> options)
{
    public const string PageCheck = "install page";
    public const string ManifestCheck = "manifest";
    public const string IpaCheck = "IPA download";

    /// <summary>The platform the probe links are minted for, so the audit tells them from people's.</summary>
    public const string Platform = "doctor";

    /// <summary>Long enough for the three requests, short enough that a link the revocation missed soon dies.</summary>
    internal static readonly TimeSpan LinkLifetime = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public async Task<IReadOnlyList<DoctorFinding>> RunAsync(CancellationToken cancellationToken)
    {
        if (!PublicBaseUrl.TryParse(options.Value.PublicBaseUrl, out var baseUrl, out _))
            return [DoctorFinding.Problem(PageCheck, $"not probed: {ChatOpsBotOptions.Section}:PublicBaseUrl is not a usable URL (see above).")];
        var build = await db.Builds.AsNoTracking().Where(b => b.State == BuildState.Active).OrderByDescending(b => b.Id)
            .Select(b => new { b.Id, b.Size, App = b.App.Slug, b.Channel }).FirstOrDefaultAsync(cancellationToken);
        if (build is null)
            return [DoctorFinding.Warning(PageCheck, "not probed: there is no active build to mint a probe link for; upload one (POST /api/v1/builds) and run doctor again.")];

        var minted = await links.MintAsync(build.Id, new Requester(Platform, null, Platform, "ChatOpsBot doctor"), maxDownloads: null, cancellationToken, LinkLifetime);
        if (minted.Minted is not { } link)
            return [DoctorFinding.Problem(PageCheck, $"not probed: no probe link could be minted ({minted.Reason}).")];
        try
        {
            using var client = network.CreateProbeClient(Timeout);
            var probe = new Probe(client, baseUrl, link.Token);
            return await probe.RunAsync(link, build.Size, $"{build.App} {build.Channel}", cancellationToken);
        }
        finally
        {
            await links.RevokeAsync(link.Link.Id, CancellationToken.None);
        }
    }

    private sealed class Probe(HttpClient client, Uri baseUrl, string token)
    {
        private readonly string _origin = baseUrl.AbsoluteUri.TrimEnd('/');

        public async Task<IReadOnlyList<DoctorFinding>> RunAsync(MintedLink link, long size, string build, CancellationToken cancellationToken)
        {
            List<DoctorFinding> findings = [await PageAsync(link.InstallPageUrl, build, cancellationToken)];
            var (manifest, ipaUrl) = await ManifestAsync(link.ManifestUrl, cancellationToken);
            findings.Add(manifest);
            if (ipaUrl is not null)
                findings.Add(await IpaAsync(ipaUrl, size, cancellationToken));
            return findings;
        }

        private async Task<DoctorFinding> PageAsync(string url, string build, CancellationToken cancellationToken)
        {
            var path = Path(url);
            try
            {
                using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                    return DoctorFinding.Problem(PageCheck, $"GET {path} answered {Status(response)} instead of 200: {Fix}");
                if (response.Content.Headers.ContentType?.MediaType is not "text/html")
                    return DoctorFinding.Problem(PageCheck, $"GET {path} answered {Type(response)} instead of text/html: {Fix}");
                return DoctorFinding.Ok(PageCheck, $"GET {path} of a probe link to {build} answered 200 text/html.");
            }
            catch (Exception e) when (Unreachable(e, cancellationToken))
            {
                return DoctorFinding.Problem(PageCheck, $"GET {path} failed ({Reason(e)}): make {_origin} reach ChatOpsBot.");
            }
        }

        private async Task<(DoctorFinding, Uri?)> ManifestAsync(string url, CancellationToken cancellationToken)
        {
            var path = Path(url);
            try
            {
                using var response = await client.GetAsync(url, cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                    return (DoctorFinding.Problem(ManifestCheck, $"GET {path} answered {Status(response)} instead of 200: {Fix}"), null);
                if (response.Content.Headers.ContentType?.MediaType is not ("text/xml" or "application/xml"))
                    return (DoctorFinding.Problem(ManifestCheck, $"GET {path} answered {Type(response)}, and iOS reads a manifest only as text/xml or application/xml: {Fix}"), null);
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                string? software;
                try
                {
                    software = SoftwarePackageUrl(Plist.ParseDictionary(body));
                }
                catch (PropertyListFormatException e)
                {
                    return (DoctorFinding.Problem(ManifestCheck, $"GET {path} answered a body that is not a property list ({e.Message}): {Fix}"), null);
                }
                if (software is null || !Uri.TryCreate(software, UriKind.Absolute, out var ipa))
                    return (DoctorFinding.Problem(ManifestCheck, $"the manifest from {path} names no software-package URL: {Fix}"), null);
                if (ipa.Query.Length > 0)
                    return (DoctorFinding.Problem(ManifestCheck, $"the IPA URL in the manifest carries a query string ({Path(ipa.GetLeftPart(UriPartial.Path))}?…), which iOS's installer does not keep: {Fix}"), null);
                if (!ipa.AbsoluteUri.StartsWith(_origin + "/", StringComparison.OrdinalIgnoreCase))
                    return (DoctorFinding.Problem(ManifestCheck, $"the IPA URL in the manifest points at {ipa.GetLeftPart(UriPartial.Authority)}, not {_origin}: {Fix}"), null);
                return (DoctorFinding.Ok(ManifestCheck, $"GET {path} answered {Type(response)}, a property list whose IPA URL is under {_origin} without a query string."), ipa);
            }
            catch (Exception e) when (Unreachable(e, cancellationToken))
            {
                return (DoctorFinding.Problem(ManifestCheck, $"GET {path} failed ({Reason(e)}): make {_origin} reach ChatOpsBot."), null);
            }
        }

        private async Task<DoctorFinding> IpaAsync(Uri url, long size, CancellationToken cancellationToken)
        {
            var path = Path(url.AbsoluteUri);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Head, url);
                using var response = await client.SendAsync(request, cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                    return DoctorFinding.Problem(IpaCheck, $"HEAD {path} answered {Status(response)} instead of 200: {Fix}");
                if (!response.Headers.AcceptRanges.Contains("bytes", StringComparer.OrdinalIgnoreCase))
                    return DoctorFinding.Problem(IpaCheck, $"HEAD {path} answered without Accept-Ranges: bytes, so iOS cannot resume an interrupted download: let the proxy pass the header (and do not buffer or cache /i/).");
                if (response.Content.Headers.ContentLength != size)
                    return DoctorFinding.Problem(IpaCheck, $"HEAD {path} answered Content-Length {Length(response.Content.Headers)} for a build of {size} bytes: {Fix}");
                return DoctorFinding.Ok(IpaCheck, $"HEAD {path} answered 200 with Accept-Ranges: bytes and the build's {size} bytes.");
            }
            catch (Exception e) when (Unreachable(e, cancellationToken))
            {
                return DoctorFinding.Problem(IpaCheck, $"HEAD {path} failed ({Reason(e)}): make {_origin} reach ChatOpsBot.");
            }
        }

        private const string Fix = "a proxy in front of ChatOpsBot rewrites /i/ responses; pass them through unchanged (docs/operations.md, \"doctor\").";

        private static string? SoftwarePackageUrl(PlistDictionary manifest) =>
            (manifest.GetArray("items") is [PlistDictionary item, ..] ? item.GetArray("assets") : null)?
                .OfType<PlistDictionary>().FirstOrDefault(a => a.GetString("kind") == "software-package")?.GetString("url");

        /// <summary>The URL's path with the probe token left out: findings are printed, and tokens are capabilities.</summary>
        private string Path(string url)
        {
            var path = url.StartsWith(_origin, StringComparison.OrdinalIgnoreCase) ? url[_origin.Length..] : new Uri(url).AbsolutePath;
            if (path.Length == 0)
                path = "/";
            return path.Replace(token, "{token}", StringComparison.Ordinal);
        }

        private static string Status(HttpResponseMessage response) => $"{(int)response.StatusCode}";

        private static string Type(HttpResponseMessage response) => response.Content.Headers.ContentType?.MediaType ?? "no Content-Type";

        private static string Length(HttpContentHeaders headers) => headers.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)";

        private static bool Unreachable(Exception e, CancellationToken cancellationToken) =>
            e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

        private static string Reason(Exception e) => e is OperationCanceledException ? "no answer" : e.Message;
    }
}
