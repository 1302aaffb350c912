using System.Collections.Concurrent;

namespace ChatOpsBot.Teams;

/// <summary>
/// Service URLs that arrived in the <c>serviceurl</c> claim of a validated token: the only places the bot's Connector
/// token is ever sent. The set is small (a handful of regional endpoints).
/// </summary>
internal sealed class TrustedServiceUrls
{
    private readonly ConcurrentDictionary<string, byte> _urls = new(StringComparer.OrdinalIgnoreCase);

    public void Add(string serviceUrl) => _urls.TryAdd(Normalize(serviceUrl), 0);

    public bool Contains(string serviceUrl) => _urls.ContainsKey(Normalize(serviceUrl));

    private static string Normalize(string serviceUrl) => serviceUrl.TrimEnd('/');
}
