using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Teams;

/// <summary>
/// Service URLs that arrived in the <c>serviceurl</c> claim of a validated token, with the activity the token was
/// issued for: the only places the bot's Connector token is ever sent. Shared by every replica, so a URL one of them
/// learned is trusted by all and after a restart. The host keeps them in its database; the in-memory default serves a
/// single process. Keys come normalised (<see cref="TrustedServiceUrls.Key"/>).
/// </summary>
public interface ITrustedServiceUrlStore
{
    /// <summary>Trusts the URL from now on; trusting one already trusted changes nothing.</summary>
    Task AddAsync(string key, CancellationToken cancellationToken);

    Task<bool> ContainsAsync(string key, CancellationToken cancellationToken);
}

/// <summary>Lost on restart and unknown to other replicas; for a single process and for tests.</summary>
internal sealed class InMemoryTrustedServiceUrlStore : ITrustedServiceUrlStore
{
    private readonly ConcurrentDictionary<string, byte> _keys = new(StringComparer.Ordinal);

    public Task AddAsync(string key, CancellationToken cancellationToken)
    {
        _keys.TryAdd(key, 0);
        return Task.CompletedTask;
    }

    public Task<bool> ContainsAsync(string key, CancellationToken cancellationToken) => Task.FromResult(_keys.ContainsKey(key));
}

/// <summary>
/// This process's cache of the trusted store: only what the store accepted or confirmed, so it may miss but never
/// trusts more than the store does. Bounded; once full, lookups of URLs not in it go to the store.
/// </summary>
internal sealed class TrustedServiceUrls
{
    /// <summary>The Connector's regional endpoints are a handful; this leaves room for many more.</summary>
    internal const int Capacity = 1_000;

    /// <summary>The longest service URL trusted (the database column's length); a longer one never is.</summary>
    public const int MaxLength = 512;

    private readonly ConcurrentDictionary<string, byte> _keys = new(StringComparer.Ordinal);

    /// <summary>The same URL with or without its trailing slash, in any case, is the same service.</summary>
    public static string Key(string serviceUrl)
    {
        ArgumentNullException.ThrowIfNull(serviceUrl);
        return serviceUrl.TrimEnd('/').ToLowerInvariant();
    }

    public void Add(string serviceUrl)
    {
        if (_keys.Count < Capacity)
            _keys.TryAdd(Key(serviceUrl), 0);
    }

    public bool Contains(string serviceUrl) => _keys.ContainsKey(Key(serviceUrl));
}

/// <summary>Asks the cache, then the shared store; learns only from validated tokens.</summary>
internal sealed class ServiceUrlTrust(TrustedServiceUrls cache, IServiceScopeFactory scopes)
{
    /// <summary>
    /// Trusts the service URL of an activity found to be the one a validated token was issued for. Written to the
    /// store before anything is sent there, so a replica that sends to it later finds it.
    /// </summary>
    public async Task TrustAsync(string serviceUrl, CancellationToken cancellationToken)
    {
        if (!IsTrustworthy(serviceUrl) || cache.Contains(serviceUrl))
            return;
        await using (var scope = scopes.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<ITrustedServiceUrlStore>().AddAsync(TrustedServiceUrls.Key(serviceUrl), cancellationToken);
        cache.Add(serviceUrl);
    }

    /// <summary>True when a validated token, here or on another replica, vouched for the service URL.</summary>
    public async Task<bool> IsTrustedAsync(string serviceUrl, CancellationToken cancellationToken)
    {
        if (!IsTrustworthy(serviceUrl))
            return false;
        if (cache.Contains(serviceUrl))
            return true;
        await using (var scope = scopes.CreateAsyncScope())
        {
            if (!await scope.ServiceProvider.GetRequiredService<ITrustedServiceUrlStore>().ContainsAsync(TrustedServiceUrls.Key(serviceUrl), cancellationToken))
                return false;
        }
        cache.Add(serviceUrl);
        return true;
    }

    private static bool IsTrustworthy(string? serviceUrl) =>
        serviceUrl is { Length: > 0 and <= TrustedServiceUrls.MaxLength } && TeamsOptions.IsSecureOrLoopback(serviceUrl);
}
