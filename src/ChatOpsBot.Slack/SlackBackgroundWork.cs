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
