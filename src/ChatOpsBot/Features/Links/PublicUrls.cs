using ChatOpsBot.Core.Manifests;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Links;

/// <summary>Every URL a link hands out, from ChatOpsBot:PublicBaseUrl and the token; no query strings.</summary>
internal sealed class PublicUrls(IOptions<ChatOpsBotOptions> options)
{
    private readonly string _base = options.Value.PublicBaseUrl.TrimEnd('/');

    public string InstallPage(string token) => $"{_base}/i/{token}";

    public string Manifest(string token) => $"{_base}/i/{token}/manifest.plist";

    public string Ipa(string token) => $"{_base}/i/{token}/app.ipa";

    public string Apk(string token) => $"{_base}/i/{token}/app.apk";

    public string Icon(string token) => $"{_base}/i/{token}/icon.png";

    public string QrCode(string token) => $"{_base}/i/{token}/qr.png";

    public string ItmsServices(string token) => ItmsManifest.ItmsServicesUrl(Manifest(token));
}
