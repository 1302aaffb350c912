using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Chat;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Announcements;

/// <summary>
/// Posts one announcement to one conversation. The delivery row is claimed atomically first (pending and due, or
/// sending with a lapsed claim), so a second run of the same job, or a job the sweep enqueued again, posts nothing.
/// Retries are this job's own, durable in the row: Hangfire's automatic retries are off.
/// </summary>
internal sealed partial class AnnouncementDeliveryJob(
    ChatOpsBotDb db,
    IEnumerable<IConversationMessenger> messengers,
    IBackgroundJobClient jobs,
    TimeProvider time,
    IOptions<ChatOpsBotOptions> options,
    IOptions<AnnouncementOptions> recovery,
    Telemetry.ChatOpsBotMetrics metrics,
    ILogger<AnnouncementDeliveryJob> logger)
{
    internal const int MaxAttempts = 8;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(30);
    private const int MaxErrorLength = 1000;

    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(long deliveryId, CancellationToken cancellationToken) =>
        metrics.TimeJobAsync("announcement-delivery", () => DeliverAsync(deliveryId, cancellationToken));

    private async Task DeliverAsync(long deliveryId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var claim = Guid.NewGuid().ToString("N");
        var claimed = await db.AnnouncementDeliveries
            .Where(d => d.Id == deliveryId
                && ((d.State == DeliveryState.Pending && d.NextAttemptAt <= now)
                    || (d.State == DeliveryState.Sending && d.ClaimExpiresAt <= now)))
            .ExecuteUpdateAsync(d => d
                .SetProperty(x => x.State, DeliveryState.Sending)
                .SetProperty(x => x.ClaimToken, claim)
                // Longer than a post may take (AnnouncementOptions.PostTimeout), so a live job's claim is never taken over.
                .SetProperty(x => x.ClaimExpiresAt, now + recovery.Value.ClaimTimeout), cancellationToken);
        if (claimed == 0)
        {
            LogNotClaimable(deliveryId);
            return;
        }

        var target = await db.AnnouncementDeliveries.AsNoTracking().Where(d => d.Id == deliveryId)
            .Select(d => new { Delivery = d, d.Announcement.Build, AppSlug = d.Announcement.Build.App.Slug })
            .SingleAsync(cancellationToken);
        var delivery = target.Delivery;
        var result = target.Build.State != BuildState.Active
            ? new DeliveryResult.Failed("the build was revoked before this announcement reached the conversation")
            : await PostAsync(delivery, ChatEngine.Announcement(ChatCatalog.ToCatalog(target.Build, target.AppSlug), IconUrl(target.Build)), cancellationToken);
        await RecordAsync(delivery, claim, result);
    }

    private string? IconUrl(Build build) =>
        build.IconSha256 is { } icon ? AnnouncementsApi.IconUrl(options.Value.PublicBaseUrl, icon) : null;

    private async Task<DeliveryResult> PostAsync(AnnouncementDelivery delivery, ChatReply message, CancellationToken cancellationToken)
    {
        var messenger = messengers.FirstOrDefault(m => string.Equals(m.Platform, delivery.Platform, StringComparison.OrdinalIgnoreCase));
        if (messenger is null)
            return new DeliveryResult.Failed($"no {delivery.Platform} integration configured");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(recovery.Value.PostTimeout);
        try
        {
            return await messenger.PostAsync(
                new ConversationAddress(delivery.Platform, delivery.Workspace, delivery.ConversationId, delivery.ServiceUrl, delivery.ConversationName),
                message, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryResult.Retry(null, "the post timed out");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A messenger should answer Retry or Failed; anything it throws is treated as worth another try.
            LogMessengerThrew(e, delivery.Id, delivery.Platform);
            return new DeliveryResult.Retry(null, $"{e.GetType().Name}: {e.Message}");
        }
        // Cancellation by shutdown propagates: the row stays claimed until the claim lapses, then the sweep or the
        // next start hands it to a new job.
    }

    private async Task RecordAsync(AnnouncementDelivery delivery, string claim, DeliveryResult result)
    {
        // The outcome is recorded even when the host is stopping: a post that went out must count as delivered.
        var now = time.GetUtcNow().UtcDateTime;
        var attempts = delivery.Attempts + 1;
        var mine = db.AnnouncementDeliveries.Where(d => d.Id == delivery.Id && d.ClaimToken == claim);
        switch (result)
        {
            case DeliveryResult.Delivered delivered:
                await mine.ExecuteUpdateAsync(d => d
                    .SetProperty(x => x.State, DeliveryState.Delivered)
                    .SetProperty(x => x.Attempts, attempts)
                    .SetProperty(x => x.DeliveredAt, now)
                    .SetProperty(x => x.MessageId, delivered.MessageId)
                    .SetProperty(x => x.LastError, (string?)null)
                    .SetProperty(x => x.ClaimToken, (string?)null)
                    .SetProperty(x => x.ClaimExpiresAt, (DateTime?)null), CancellationToken.None);
                LogDelivered(delivery.Id, delivery.Platform, attempts);
                metrics.AnnouncementDelivery(delivery.Platform, "delivered");
                break;
            case DeliveryResult.Retry retry when attempts < MaxAttempts:
                var delay = RetryDelay(attempts, retry.RetryAfter);
                var error = Truncate(retry.Error);
                var updated = await mine.ExecuteUpdateAsync(d => d
                    .SetProperty(x => x.State, DeliveryState.Pending)
                    .SetProperty(x => x.Attempts, attempts)
                    .SetProperty(x => x.NextAttemptAt, now + delay)
                    .SetProperty(x => x.LastError, error)
                    .SetProperty(x => x.ClaimToken, (string?)null)
                    .SetProperty(x => x.ClaimExpiresAt, (DateTime?)null), CancellationToken.None);
                if (updated > 0)
                    AnnouncementOutbox.Schedule(jobs, delivery.Id, delay, logger);
                LogRetrying(delivery.Id, delivery.Platform, attempts, delay, retry.Error);
                metrics.AnnouncementDelivery(delivery.Platform, "retry");
                break;
            default:
                var failure = Truncate(result switch
                {
                    DeliveryResult.Failed failed => failed.Error,
                    DeliveryResult.Retry retry => $"gave up after {attempts} attempts: {retry.Error}",
                    _ => "unknown result",
                });
                await mine.ExecuteUpdateAsync(d => d
                    .SetProperty(x => x.State, DeliveryState.Failed)
                    .SetProperty(x => x.Attempts, attempts)
                    .SetProperty(x => x.LastError, failure)
                    .SetProperty(x => x.ClaimToken, (string?)null)
                    .SetProperty(x => x.ClaimExpiresAt, (DateTime?)null), CancellationToken.None);
                LogFailed(delivery.Id, delivery.Platform, attempts, failure);
                metrics.AnnouncementDelivery(delivery.Platform, "failed");
                break;
        }
    }

    /// <summary>Exponential from 10 s, capped at 30 min, never sooner than the platform's Retry-After, plus up to 20 % jitter.</summary>
    internal static TimeSpan RetryDelay(int attempts, TimeSpan? retryAfter)
    {
        var backoff = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, FirstRetryDelay.Ticks << Math.Min(attempts - 1, 20)));
        var delay = retryAfter is { } after && after > backoff ? after : backoff;
        // Jitter spreads the retries of one announcement's many targets, so they do not hit a rate limit together.
        return delay + TimeSpan.FromTicks((long)(delay.Ticks * 0.2 * Random.Shared.NextDouble()));
    }

    private static string Truncate(string error) => error.Length <= MaxErrorLength ? error : error[..(MaxErrorLength - 1)] + "…";

    [LoggerMessage(EventId = 4211, Level = LogLevel.Debug, Message = "Delivery {DeliveryId} is not due or already taken; nothing to do")]
    private partial void LogNotClaimable(long deliveryId);

    [LoggerMessage(EventId = 4212, Level = LogLevel.Information, Message = "Delivery {DeliveryId} to {Platform} delivered on attempt {Attempts}")]
    private partial void LogDelivered(long deliveryId, string platform, int attempts);

    [LoggerMessage(EventId = 4213, Level = LogLevel.Warning, Message = "Delivery {DeliveryId} to {Platform} attempt {Attempts} failed; retrying in {Delay}: {Error}")]
    private partial void LogRetrying(long deliveryId, string platform, int attempts, TimeSpan delay, string error);

    [LoggerMessage(EventId = 4214, Level = LogLevel.Warning, Message = "Delivery {DeliveryId} to {Platform} failed for good after {Attempts} attempts: {Error}")]
    private partial void LogFailed(long deliveryId, string platform, int attempts, string error);

    [LoggerMessage(EventId = 4215, Level = LogLevel.Warning, Message = "The {Platform} messenger threw while posting delivery {DeliveryId}")]
    private partial void LogMessengerThrew(Exception exception, long deliveryId, string platform);
}
