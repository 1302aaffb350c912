using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Announcements;

/// <summary>
/// Derives delivery jobs from the delivery rows. At start every unfinished delivery gets a job (in-memory job
/// storage forgets everything on restart); then, every minute, pending deliveries that are overdue and sending
/// deliveries whose claim lapsed get one again, so a lost job, a failed enqueue or a dead worker heals by itself.
/// A duplicate job is harmless: the delivery job claims its row before posting.
/// </summary>
/// <remarks>
/// This runs on the host's <see cref="TimeProvider"/> rather than as a Hangfire recurring job, so it keeps working
/// when Hangfire's own storage is what failed, and tests drive it with their fake clock.
/// </remarks>
internal sealed partial class AnnouncementOutbox(
    IServiceScopeFactory scopes,
    IBackgroundJobClient jobs,
    TimeProvider time,
    IOptions<AnnouncementOptions> options,
    ILogger<AnnouncementOutbox> logger) : BackgroundService
{
    /// <summary>How often the sweep looks, unless ChatOpsBot:Announcements:SweepInterval says otherwise.</summary>
    internal static readonly TimeSpan SweepInterval = AnnouncementOptions.DefaultSweepInterval;

    /// <summary>How late a pending delivery's own scheduled job may be before the sweep steps in: the sweep interval.</summary>
    internal static readonly TimeSpan SweepGrace = AnnouncementOptions.DefaultSweepInterval;

    private const int SweepBatch = 1_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await RunOnceAsync(startUp: true, stoppingToken);
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
            await RunOnceAsync(startUp: false, stoppingToken);
    }

    private async Task RunOnceAsync(bool startUp, CancellationToken cancellationToken)
    {
        try
        {
            var count = await SweepAsync(startUp, cancellationToken);
            if (count > 0)
                LogRecovered(count, startUp);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogSweepFailed(e);
        }
    }

    internal async Task<int> SweepAsync(bool startUp, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        var now = time.GetUtcNow().UtcDateTime;
        var overdue = now - options.Value.SweepInterval;
        var query = db.AnnouncementDeliveries.AsNoTracking();
        query = startUp
            ? query.Where(d => d.State == DeliveryState.Pending || d.State == DeliveryState.Sending)
            : query.Where(d => (d.State == DeliveryState.Pending && d.NextAttemptAt <= overdue)
                || (d.State == DeliveryState.Sending && d.ClaimExpiresAt <= now));
        var recovered = 0;
        long after = 0;
        while (true)
        {
            var batch = await query.Where(d => d.Id > after).OrderBy(d => d.Id).Take(SweepBatch)
                .Select(d => new { d.Id, d.State, d.NextAttemptAt, d.ClaimExpiresAt })
                .ToListAsync(cancellationToken);
            foreach (var d in batch)
            {
                // At start, a delivery that is not due yet is scheduled for when it will be.
                var dueAt = d.State == DeliveryState.Pending ? d.NextAttemptAt : d.ClaimExpiresAt ?? now;
                if (dueAt <= now)
                    Enqueue(jobs, d.Id, logger);
                else
                    Schedule(jobs, d.Id, dueAt - now, logger);
            }
            recovered += batch.Count;
            if (batch.Count < SweepBatch || !startUp)
                return recovered;
            after = batch[^1].Id;
        }
    }

    /// <summary>Enqueues a delivery job; a failure is logged, not thrown, because the row is already safe and the sweep will retry.</summary>
    internal static void Enqueue(IBackgroundJobClient jobs, long deliveryId, ILogger logger)
    {
        try
        {
            jobs.Enqueue<AnnouncementDeliveryJob>(job => job.RunAsync(deliveryId, CancellationToken.None));
        }
        catch (Exception e)
        {
            LogEnqueueFailed(logger, e, deliveryId);
        }
    }

    internal static void Schedule(IBackgroundJobClient jobs, long deliveryId, TimeSpan delay, ILogger logger)
    {
        try
        {
            jobs.Schedule<AnnouncementDeliveryJob>(job => job.RunAsync(deliveryId, CancellationToken.None), delay);
        }
        catch (Exception e)
        {
            LogEnqueueFailed(logger, e, deliveryId);
        }
    }

    [LoggerMessage(EventId = 4221, Level = LogLevel.Information, Message = "Handed {Count} unfinished announcement deliveries to the job server (at start: {StartUp})")]
    private partial void LogRecovered(int count, bool startUp);

    [LoggerMessage(EventId = 4222, Level = LogLevel.Warning, Message = "The announcement delivery sweep failed; it runs again in a minute")]
    private partial void LogSweepFailed(Exception exception);

    [LoggerMessage(EventId = 4223, Level = LogLevel.Warning, Message = "Could not enqueue the job for delivery {DeliveryId}; the sweep will")]
    private static partial void LogEnqueueFailed(ILogger logger, Exception exception, long deliveryId);
}
