using System.Collections.Concurrent;

namespace ChatOpsBot.Slack;

/// <summary>
/// Claims an event, or the message it carries, for the one replica that answers it: Slack retries an event it thinks
/// unanswered (to whichever replica the balancer picks, also after a restart), and delivers one message as several
/// events. The host keeps the claims in its database; the in-memory default serves a single process.
/// </summary>
public interface ISlackEventClaims
{
    /// <summary>
    /// True for exactly one of any number of concurrent and later claims of <paramref name="key"/> within
    /// <see cref="SlackEventClaims.Lifetime"/> of the first; after that the key may be claimed again.
    /// </summary>
    Task<bool> TryClaimAsync(string key, CancellationToken cancellationToken);
}

public static class SlackEventClaims
{
    /// <summary>Slack retries an event three times within about five minutes; a claim outlives them with room to spare.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);

    /// <summary>The key of an event: its <c>event_id</c>, unique across workspaces.</summary>
    public static string Event(string eventId) => "event " + eventId;

    /// <summary>The key of a message, whatever number of events Slack delivers it in.</summary>
    public static string Message(string channel, string ts) => $"message {channel} {ts}";
}

/// <summary>Claims in this process's memory: lost on restart and unknown to other replicas. For one process and tests.</summary>
internal sealed class InMemorySlackEventClaims(TimeProvider time) : ISlackEventClaims
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;
    private readonly Lock _sweep = new();

    public Task<bool> TryClaimAsync(string key, CancellationToken cancellationToken) => Task.FromResult(TryClaim(key));

    private bool TryClaim(string key)
    {
        var now = time.GetUtcNow();
        Sweep(now);
        while (true)
        {
            if (_seen.TryAdd(key, now))
                return true;
            if (!_seen.TryGetValue(key, out var seenAt))
                continue;
            if (now - seenAt < SlackEventClaims.Lifetime)
                return false;
            if (_seen.TryUpdate(key, now, seenAt))
                return true;
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        lock (_sweep)
        {
            if (now < _nextSweep)
                return;
            _nextSweep = now + TimeSpan.FromMinutes(1);
        }
        foreach (var (key, seenAt) in _seen)
        {
            if (now - seenAt >= SlackEventClaims.Lifetime)
                _seen.TryRemove(new KeyValuePair<string, DateTimeOffset>(key, seenAt));
        }
    }
}
