using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Devices;

/// <summary>Every URL of a device link, from ChatOpsBot:PublicBaseUrl and the token; never a UDID.</summary>
internal sealed class DeviceUrls(IOptions<ChatOpsBotOptions> options)
{
    private readonly string _base = options.Value.PublicBaseUrl.TrimEnd('/');

    public string Page(string token) => $"{_base}/d/{token}";

    public string Profile(string token) => $"{_base}/d/{token}/profile";

    public string Enroll(string token) => $"{_base}/d/{token}/enroll";

    public string Done(string token) => $"{_base}/d/{token}/done";

    /// <summary>The profile's identifier: one per host, so a newer download replaces a waiting one.</summary>
    public string ProfileIdentifier()
    {
        var host = new Uri(_base).Host.Split('.', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('.', host.Reverse()) + ".chatopsbot.register-device";
    }
}
