using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Slack;

/// <summary>
/// Work that continues after Slack has been answered: each item runs in its own DI scope, is tracked, and is given
/// the host's shutdown to finish. Nothing here survives a restart; what must goes through the database and a job.
/// </summary>
internal sealed class SlackBackgroundWork(IServiceScopeFactory scopes, ILogger<SlackBackgroundWork> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    /// <summary>Starts the work now and returns its task; failures are logged and surface through the task.</summary>
    public Task<T> Run<T>(string name, Func<IServiceProvider, CancellationToken, Task<T>> work)
    {
        var task = Task.Run(async () =>
        {
            await using var scope = scopes.CreateAsyncScope();
            try
            {
                return await work(scope.ServiceProvider, _stopping.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !_stopping.IsCancellationRequested)
            {
                SlackLog.WorkFailed(logger, name, e);
                throw;
            }
        });
        _running.TryAdd(task, 0);
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    public Task Run(string name, Func<IServiceProvider, CancellationToken, Task> work) =>
        Run<bool>(name, async (services, cancellationToken) =>
        {
            await work(services, cancellationToken);
            return true;
        });

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Let running work finish until the host's shutdown timeout, then cancel it.
        using var registration = cancellationToken.Register(_stopping.Cancel);
        try
        {
            await Task.WhenAll(_running.Keys).WaitAsync(cancellationToken);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested || _running.Keys.All(t => t.IsCompleted))
        {
            // Failures were logged where they happened.
        }
    }

    public void Dispose() => _stopping.Dispose();
}

/// <summary>
/// Event ids seen recently, so Slack's retries of an event are acknowledged without being handled again. In memory:
/// with several replicas this belongs in the database.
/// </summary>
internal sealed class SlackEventDeduplicator(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;
    private readonly Lock _sweep = new();

    /// <summary>True the first time an event id is seen within <see cref="Lifetime"/>.</summary>
    public bool TryClaim(string eventId)
    {
        var now = time.GetUtcNow();
        Sweep(now);
        while (true)
        {
            if (_seen.TryAdd(eventId, now))
                return true;
            if (!_seen.TryGetValue(eventId, out var seenAt))
                continue;
            if (now - seenAt < Lifetime)
                return false;
            if (_seen.TryUpdate(eventId, now, seenAt))
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
        foreach (var (id, seenAt) in _seen)
        {
            if (now - seenAt >= Lifetime)
                _seen.TryRemove(new KeyValuePair<string, DateTimeOffset>(id, seenAt));
        }
    }
}
