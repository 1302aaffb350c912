using System.Globalization;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// Hangfire's client without a job server: the host's jobs are recorded, each due on the host's (fake) clock, and a
/// test runs the due ones when it chooses, one after another, on the host's own services. Nothing runs on the real
/// clock, so what a test sees never depends on when a worker happens to wake up.
/// </summary>
internal sealed class ManualJobs(TimeProvider clock) : IBackgroundJobClient
{
    private readonly Lock _lock = new();
    private readonly List<(string Id, Job Job, DateTimeOffset DueAt)> _queue = [];
    private int _created;

    /// <summary>When the next recorded job is due, or null when none is waiting.</summary>
    public DateTimeOffset? NextDueAt
    {
        get
        {
            lock (_lock)
                return _queue.Count == 0 ? null : _queue.Min(j => j.DueAt);
        }
    }

    public string Create(Job job, IState state)
    {
        var now = clock.GetUtcNow();
        var dueAt = state switch
        {
            // Hangfire fixes the moment on the real clock; the delay the caller asked for is what matters here.
            ScheduledState scheduled => now + (scheduled.EnqueueAt - scheduled.ScheduledAt),
            EnqueuedState => now,
            _ => throw new NotSupportedException($"ManualJobs does not model the {state.Name} state."),
        };
        lock (_lock)
        {
            var id = (++_created).ToString(CultureInfo.InvariantCulture);
            _queue.Add((id, job, dueAt));
            return id;
        }
    }

    public bool ChangeState(string jobId, IState state, string expectedState) => false;

    /// <summary>
    /// Runs every job due by the clock, in the order they fall due, including jobs those jobs create that are due
    /// too; returns how many ran. A job's exception fails the caller: here it is a bug, not a retry.
    /// </summary>
    public async Task<int> RunDueAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var ran = 0;
        while (TakeDue() is { } job)
        {
            await RunAsync(services, job, cancellationToken);
            ran++;
        }
        return ran;
    }

    private Job? TakeDue()
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            var due = _queue.Where(j => j.DueAt <= now).OrderBy(j => j.DueAt).ThenBy(j => int.Parse(j.Id, CultureInfo.InvariantCulture)).FirstOrDefault();
            if (due.Job is null)
                return null;
            _queue.Remove(due);
            return due.Job;
        }
    }

    private static async Task RunAsync(IServiceProvider services, Job job, CancellationToken cancellationToken)
    {
        // One scope per job, and the cancellation token in place of the one recorded, as Hangfire's worker does.
        await using var scope = services.CreateAsyncScope();
        var instance = job.Method.IsStatic ? null : ActivatorUtilities.GetServiceOrCreateInstance(scope.ServiceProvider, job.Type);
        var parameters = job.Method.GetParameters();
        var arguments = job.Args.Select((a, i) => parameters[i].ParameterType == typeof(CancellationToken) ? cancellationToken : a).ToArray();
        if (job.Method.Invoke(instance, arguments) is Task task)
            await task;
    }
}
