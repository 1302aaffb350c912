using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace ChatOpsBot;

/// <summary>
/// The configured public origin is the only source of generated URLs: never the request's Host or forwarded headers,
/// which a proxy or a client can get wrong.
/// </summary>
internal static class PublicBaseUrl
{
    public static bool TryParse(string? value, [NotNullWhen(true)] out Uri? uri, [NotNullWhen(false)] out string? problem)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            problem = "is required: the https address people and iOS use to reach ChatOpsBot, for example https://ota.example.com.";
            return false;
        }
        if (!Uri.TryCreate(value.TrimEnd('/'), UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http"))
        {
            problem = $"'{value}' is not an absolute http(s) URL.";
            return false;
        }
        if (parsed.Query.Length > 0 || parsed.Fragment.Length > 0 || parsed.UserInfo.Length > 0)
        {
            problem = $"'{value}' must not carry a query, fragment or user name.";
            return false;
        }
        if (parsed.Scheme == "http" && !IsLoopback(parsed))
        {
            problem = $"'{value}' must be https: iOS installs only over https with a publicly trusted certificate (http is accepted for loopback hosts only).";
            return false;
        }
        uri = parsed;
        problem = null;
        return true;
    }

    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));
}
