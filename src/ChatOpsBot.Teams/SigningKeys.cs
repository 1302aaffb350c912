using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace ChatOpsBot.Teams;

/// <summary>A signing key from a JWKS, with the Bot Connector's <c>endorsements</c> (the channels it may sign for).</summary>
internal sealed record SigningKey(SecurityKey Key, IReadOnlyList<string>? Endorsements);

/// <summary>
/// The keys published behind one OpenID metadata document, fetched by hand rather than with ConfigurationManager:
/// the JWKS's <c>endorsements</c> are needed next to the keys, refreshes run on the injected clock, and an unknown key
/// id forces one refresh (keys roll) at most every <see cref="UnknownKeyRefreshInterval"/>, so forged key ids cannot
/// make us hammer the metadata endpoint.
/// </summary>
internal sealed class SigningKeySource(Uri metadataUrl, IHttpClientFactory httpClients, TimeProvider time, ILogger logger) : IDisposable
{
    public const string HttpClientName = "ChatOpsBot.Teams.SigningKeys";
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromHours(12);
    public static readonly TimeSpan UnknownKeyRefreshInterval = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private IReadOnlyDictionary<string, SigningKey> _keys = new Dictionary<string, SigningKey>();
    private DateTimeOffset? _fetchedAt;
    private DateTimeOffset? _forcedAt;

    public Uri MetadataUrl => metadataUrl;

    /// <summary>The key with this id, refreshing the set once if it is stale or does not know the id.</summary>
    public async Task<SigningKey?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        if (_fetchedAt is not { } fetched || time.GetUtcNow() - fetched >= RefreshInterval)
            await RefreshAsync(seen: _fetchedAt, unknownKey: false, cancellationToken);
        if (_keys.TryGetValue(keyId, out var key))
            return key;
        await RefreshAsync(seen: _fetchedAt, unknownKey: true, cancellationToken);
        return _keys.GetValueOrDefault(keyId);
    }

    private async Task RefreshAsync(DateTimeOffset? seen, bool unknownKey, CancellationToken cancellationToken)
    {
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            // Another caller refreshed while this one waited, or an unknown key forced a refresh a moment ago.
            var now = time.GetUtcNow();
            if (_fetchedAt != seen || (unknownKey && _forcedAt is { } forced && now - forced < UnknownKeyRefreshInterval))
                return;
            if (unknownKey)
                _forcedAt = now;
            TeamsLog.RefreshingKeys(logger, metadataUrl);
            try
            {
                _keys = await FetchAsync(cancellationToken);
                _fetchedAt = time.GetUtcNow();
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or ArgumentException or InvalidOperationException
                                          or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                TeamsLog.KeysUnavailable(logger, metadataUrl, e);
            }
        }
        finally
        {
            _refresh.Release();
        }
    }

    private async Task<IReadOnlyDictionary<string, SigningKey>> FetchAsync(CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(HttpClientName);
        string? jwksUri;
        using (var metadata = JsonDocument.Parse(await http.GetStringAsync(metadataUrl, cancellationToken)))
            jwksUri = metadata.RootElement.TryGetProperty("jwks_uri", out var value) ? value.GetString() : null;
        if (!TeamsOptions.IsSecureOrLoopback(jwksUri))
            throw new InvalidOperationException("The OpenID metadata has no https jwks_uri.");
        var json = await http.GetStringAsync(new Uri(jwksUri!), cancellationToken);

        var endorsements = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        using (var document = JsonDocument.Parse(json))
        {
            foreach (var key in document.RootElement.GetProperty("keys").EnumerateArray())
            {
                if (key.TryGetProperty("kid", out var kid) && kid.ValueKind == JsonValueKind.String
                    && key.TryGetProperty("endorsements", out var list) && list.ValueKind == JsonValueKind.Array)
                    endorsements[kid.GetString()!] = [.. list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)];
            }
        }
        var keys = new Dictionary<string, SigningKey>(StringComparer.Ordinal);
        foreach (var key in new JsonWebKeySet(json).Keys)
        {
            if (string.IsNullOrEmpty(key.Kid) || key.Kty != JsonWebAlgorithmsKeyTypes.RSA || (key.Use is { Length: > 0 } use && use != "sig"))
                continue;
            keys[key.Kid] = new SigningKey(key, endorsements.GetValueOrDefault(key.Kid));
        }
        return keys;
    }

    public void Dispose() => _refresh.Dispose();
}
