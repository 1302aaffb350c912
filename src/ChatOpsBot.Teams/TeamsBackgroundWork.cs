using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Teams;

/// <summary>
/// Replies that continue after the Connector has been answered: each runs in its own DI scope, is tracked, and is
/// given the host's shutdown to finish. Nothing here survives a restart.
/// </summary>
internal sealed class TeamsBackgroundWork(IServiceScopeFactory scopes, ILogger<TeamsBackgroundWork> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    public void Run(string name, Func<IServiceProvider, CancellationToken, Task> work)
    {
        var task = Task.Run(async () =>
        {
            await using var scope = scopes.CreateAsyncScope();
            try
            {
                await work(scope.ServiceProvider, _stopping.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !_stopping.IsCancellationRequested)
            {
                TeamsLog.WorkFailed(logger, name, e);
            }
        });
        _running.TryAdd(task, 0);
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(_stopping.Cancel);
        try
        {
            await Task.WhenAll(_running.Keys).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout passed; running work was cancelled.
        }
    }

    public void Dispose() => _stopping.Dispose();
}
