using System.Globalization;
using ChatOpsBot.Core.Builds;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Devices;

/// <summary>
/// "Ask to add my device": the request row is written first, then a job carrying its id tells the release managers;
/// an upload whose profile includes a waiting person's device starts a job that tells that person. Both claim their
/// row atomically before sending, so nobody is told twice.
/// </summary>
internal sealed partial class DeviceRequests(
    ChatOpsBotDb db,
    IBackgroundJobClient jobs,
    IEnumerable<IDirectMessenger> directMessengers,
    IEnumerable<IConversationMessenger> conversationMessengers,
    IOptions<DeviceOptions> options,
    IOptions<AppStoreConnectOptions> appStoreConnect,
    TimeProvider time,
    ILogger<DeviceRequests> logger)
{
    /// <summary>Fulfilled requests are kept this long, then deleted by the expire-links job.</summary>
    public static readonly TimeSpan FulfilledRetention = TimeSpan.FromDays(30);

    /// <summary>Whether anyone would be told: a requests conversation, or at least one configured release manager.</summary>
    public bool AnyoneToAsk =>
        options.Value.RequestsConversation is { Length: > 0 } || directMessengers.Any(m => m.ReleaseManagers.Count > 0);

    /// <summary>Records the request (or finds the one already waiting) and, when it is new, starts its notification.</summary>
    /// <returns>False when the person already waits for this app.</returns>
    public async Task<bool> CreateAsync(DeviceOwner owner, string userName, long appId, long buildId, ConversationAddress? conversation, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var serviceUrl = owner.Platform == "teams" ? conversation?.ServiceUrl : null;
        var existing = await db.DeviceRequests.AsNoTracking()
            .Where(r => r.Platform == owner.Platform && r.Workspace == owner.Workspace && r.UserId == owner.UserId && r.AppId == appId)
            .Select(r => new { r.Id, r.FulfilledAt }).SingleOrDefaultAsync(cancellationToken);
        long id;
        if (existing is null)
        {
            var request = db.DeviceRequests.Add(new DeviceRequest
            {
                Platform = owner.Platform, Workspace = owner.Workspace, UserId = owner.UserId, UserName = userName,
                ServiceUrl = serviceUrl, AppId = appId, BuildId = buildId, RequestedAt = now,
            });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Pressed twice at once: the unique key let the other press through.
                return false;
            }
            finally
            {
                request.State = EntityState.Detached;
            }
            id = request.Entity.Id;
        }
        else
        {
            if (existing.FulfilledAt is null)
                return false;
            // Fulfilled once, and a later build left the device out again: the same row asks anew.
            var reopened = await db.DeviceRequests.Where(r => r.Id == existing.Id && r.FulfilledAt != null)
                .ExecuteUpdateAsync(r => r
                    .SetProperty(x => x.FulfilledAt, (DateTime?)null)
                    .SetProperty(x => x.FulfilledBuildId, (long?)null)
                    .SetProperty(x => x.NotifiedAt, (DateTime?)null)
                    .SetProperty(x => x.RequestedAt, now)
                    .SetProperty(x => x.BuildId, buildId)
                    .SetProperty(x => x.UserName, userName)
                    .SetProperty(x => x.ServiceUrl, serviceUrl), cancellationToken);
            if (reopened == 0)
                return false;
            id = existing.Id;
        }
        jobs.Enqueue<DeviceRequests>(r => r.NotifyAsync(id, CancellationToken.None));
        LogRequested(id, appId, buildId, owner.Platform);
        return true;
    }

    /// <summary>
    /// Tells the release managers (or the requests conversation) who asks, for which build, and their devices' models
    /// and UDIDs. Claimed before sending: a job run twice sends once.
    /// </summary>
    public async Task NotifyAsync(long requestId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var claimed = await db.DeviceRequests.Where(r => r.Id == requestId && r.NotifiedAt == null && r.FulfilledAt == null)
            .ExecuteUpdateAsync(r => r.SetProperty(x => x.NotifiedAt, now), cancellationToken);
        if (claimed == 0)
            return;
        var request = await db.DeviceRequests.AsNoTracking().SingleAsync(r => r.Id == requestId, cancellationToken);
        var build = await db.Builds.AsNoTracking().Where(b => b.Id == request.BuildId)
            .Select(b => new { b.Id, b.App.Slug, b.App.DisplayName, b.Version, b.BuildNumber, b.Channel }).SingleOrDefaultAsync(cancellationToken);
        var app = build is null
            ? await db.Apps.AsNoTracking().Where(a => a.Id == request.AppId).Select(a => new { a.Slug, a.DisplayName }).SingleAsync(cancellationToken)
            : new { build.Slug, build.DisplayName };
        var devices = await db.Devices.AsNoTracking()
            .Where(d => d.Platform == request.Platform && d.Workspace == request.Workspace && d.UserId == request.UserId)
            .OrderBy(d => d.Id).ToListAsync(cancellationToken);
        if (devices.Count == 0)
        {
            LogNothingToAsk(requestId);
            return;
        }

        var described = build is null ? app.DisplayName : $"{build.DisplayName} {build.Version} ({build.BuildNumber}) in {build.Channel}";
        var blocks = new List<ReplyBlock>
        {
            new HeaderBlock($"Device request for {app.DisplayName}"),
            new TextBlock($"{request.UserName} asks to add their device{(devices.Count == 1 ? "" : "s")} to the profile of {described}: iOS refuses to install the build on {(devices.Count == 1 ? "it" : "them")}."),
        };
        blocks.AddRange(devices.Select(d => new ListItemBlock(d.Name, $"UDID {d.Udid}{(d.Product is { } product ? " · " + product : "")}")));
        if (appStoreConnect.Value.Enabled && build is not null)
            blocks.Add(new ListItemBlock(ChatEngine.RegisterInAppStoreConnect,
                "Registers every registered device this build lacks with Apple's API; then regenerate the profile and rebuild.", ChatEngine.RegisterButton(build.Id)));
        blocks.Add(new ContextBlock(string.Create(CultureInfo.InvariantCulture,
            $"Add {(devices.Count == 1 ? "it" : "them")} in Apple's developer portal (GET /api/v1/devices?format=apple{(build is null ? "" : $"&missingFrom={build.Id}")} gives Apple's upload file, \"devices {app.Slug}\" lists every missing device), ")
            + $"regenerate the profile and upload a new build: {request.UserName} is told when a build that includes one of them is uploaded."));
        var message = new ChatReply($"{request.UserName} asks to add their device to {app.DisplayName}'s profile", blocks) { Private = false };

        if (options.Value.RequestsConversation is { Length: > 0 } target)
        {
            await PostToConversationAsync(requestId, target, message, cancellationToken);
            return;
        }
        foreach (var messenger in directMessengers)
        {
            if (messenger.ReleaseManagers.Count == 0)
                continue;
            var (workspace, serviceUrl) = await ReachAsync(messenger.Platform, request, cancellationToken);
            foreach (var releaseManager in messenger.ReleaseManagers)
            {
                var result = await messenger.SendAsync(new DirectRecipient(workspace, releaseManager, serviceUrl), message, cancellationToken);
                if (result is DeliveryResult.Delivered)
                    LogReleaseManagerTold(requestId, messenger.Platform);
                else
                    LogNotSent(requestId, messenger.Platform, Describe(result));
            }
        }
    }

    /// <summary>
    /// After an upload: every person waiting for the build's app, one of whose devices the build's profile includes, is
    /// told once in a direct message, and their request is fulfilled.
    /// </summary>
    public async Task FulfilAsync(long buildId, CancellationToken cancellationToken)
    {
        var build = await db.Builds.AsNoTracking()
            .Where(b => b.Id == buildId && b.State == BuildState.Active && b.DeviceListStored
                && (b.ProfileType == ProvisioningProfileType.AdHoc || b.ProfileType == ProvisioningProfileType.Development))
            .Select(b => new { b.Id, b.AppId, b.App.Slug, b.DisplayName, b.Version, b.BuildNumber, b.Channel }).SingleOrDefaultAsync(cancellationToken);
        if (build is null)
            return;
        var waiting = await db.DeviceRequests.AsNoTracking()
            .Where(r => r.AppId == build.AppId && r.FulfilledAt == null
                && db.Devices.Any(d => d.Platform == r.Platform && d.Workspace == r.Workspace && d.UserId == r.UserId
                    && db.BuildDevices.Any(i => i.BuildId == buildId && i.Udid == d.UdidNormalized)))
            .ToListAsync(cancellationToken);
        foreach (var request in waiting)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var claimed = await db.DeviceRequests.Where(r => r.Id == request.Id && r.FulfilledAt == null)
                .ExecuteUpdateAsync(r => r.SetProperty(x => x.FulfilledAt, now).SetProperty(x => x.FulfilledBuildId, buildId), cancellationToken);
            if (claimed == 0)
                continue;
            var models = await db.Devices.AsNoTracking()
                .Where(d => d.Platform == request.Platform && d.Workspace == request.Workspace && d.UserId == request.UserId
                    && db.BuildDevices.Any(i => i.BuildId == buildId && i.Udid == d.UdidNormalized))
                .OrderBy(d => d.Id).Select(d => d.Product).ToListAsync(cancellationToken);
            var model = string.Join(" and ", models.Select(Core.Devices.DeviceNames.Model).Distinct());
            var title = $"{build.DisplayName} {build.Version} ({build.BuildNumber}) in {build.Channel} installs on your {model}";
            var message = new ChatReply($"A build you can install is here: {title}.",
            [
                new HeaderBlock("A build you can install is here"),
                new FactsBlock([
                    new Fact("App", build.DisplayName),
                    new Fact("Channel", build.Channel),
                    new Fact("Version", $"{build.Version} ({build.BuildNumber})"),
                ]),
                new ListItemBlock(title, "Your device was added to its profile, as you asked.",
                    new ReplyAction("Get my install link", ChatActions.GetLink, build.Id.ToString(CultureInfo.InvariantCulture))),
                new ContextBlock($"\"install {build.Slug} {build.Channel}\" gets you a link too."),
            ]);
            var messenger = directMessengers.FirstOrDefault(m => m.Platform == request.Platform);
            var result = messenger is null
                ? new DeliveryResult.Failed("the person's chat platform is not configured")
                : await messenger.SendAsync(new DirectRecipient(request.Workspace.Length == 0 ? null : request.Workspace, request.UserId, request.ServiceUrl), message, cancellationToken);
            if (result is DeliveryResult.Delivered)
                LogFulfilled(request.Id, buildId);
            else
                LogNotSent(request.Id, request.Platform, Describe(result));
        }
    }

    /// <summary>Starts the fulfilment check for a new iOS build whose profile lists devices.</summary>
    public static void AfterUpload(IBackgroundJobClient jobs, long buildId) =>
        jobs.Enqueue<DeviceRequests>(r => r.FulfilAsync(buildId, CancellationToken.None));

    private async Task PostToConversationAsync(long requestId, string target, ChatReply message, CancellationToken cancellationToken)
    {
        var (platform, conversationId) = DeviceOptions.ParseConversation(target);
        var messenger = conversationMessengers.FirstOrDefault(m => m.Platform == platform);
        string? serviceUrl = null, workspace = null;
        if (platform == "teams")
        {
            var known = await db.TeamsConversations.AsNoTracking().Where(c => c.ConversationId == conversationId)
                .Select(c => new { c.ServiceUrl, c.TenantId }).SingleOrDefaultAsync(cancellationToken);
            (serviceUrl, workspace) = (known?.ServiceUrl, known?.TenantId);
        }
        var result = messenger is null
            ? new DeliveryResult.Failed($"{platform} is not configured")
            : await messenger.PostAsync(new ConversationAddress(platform, workspace, conversationId, serviceUrl), message, cancellationToken);
        if (result is DeliveryResult.Delivered)
            LogConversationTold(requestId, platform);
        else
            LogNotSent(requestId, platform, Describe(result));
    }

    /// <summary>
    /// The workspace and (Teams) service URL to message a platform's release managers through: the requester's own when
    /// they asked on that platform, else, for Teams, the newest conversation the bot was added to.
    /// </summary>
    private async Task<(string? Workspace, string? ServiceUrl)> ReachAsync(string platform, DeviceRequest request, CancellationToken cancellationToken)
    {
        if (request.Platform == platform)
            return (request.Workspace.Length == 0 ? null : request.Workspace, request.ServiceUrl);
        if (platform != "teams")
            return (null, null);
        var newest = await db.TeamsConversations.AsNoTracking().OrderByDescending(c => c.CreatedAt)
            .Select(c => new { c.TenantId, c.ServiceUrl }).FirstOrDefaultAsync(cancellationToken);
        return (newest?.TenantId, newest?.ServiceUrl);
    }

    private static string Describe(DeliveryResult result) => result switch
    {
        DeliveryResult.Failed failed => failed.Error,
        DeliveryResult.Retry retry => retry.Error,
        _ => "unknown outcome",
    };

    [LoggerMessage(EventId = 7050, Level = LogLevel.Information, Message = "Device request {RequestId} for app {AppId} from build {BuildId} ({Platform})")]
    private partial void LogRequested(long requestId, long appId, long buildId, string platform);

    [LoggerMessage(EventId = 7051, Level = LogLevel.Information, Message = "Device request {RequestId}: a release manager was told ({Platform})")]
    private partial void LogReleaseManagerTold(long requestId, string platform);

    [LoggerMessage(EventId = 7052, Level = LogLevel.Information, Message = "Device request {RequestId}: the requests conversation was told ({Platform})")]
    private partial void LogConversationTold(long requestId, string platform);

    [LoggerMessage(EventId = 7053, Level = LogLevel.Warning, Message = "Device request {RequestId}: a message on {Platform} could not be sent, and is not retried: {Error}")]
    private partial void LogNotSent(long requestId, string platform, string error);

    [LoggerMessage(EventId = 7054, Level = LogLevel.Information, Message = "Device request {RequestId} fulfilled by build {BuildId}: the person was told")]
    private partial void LogFulfilled(long requestId, long buildId);

    [LoggerMessage(EventId = 7055, Level = LogLevel.Information, Message = "Device request {RequestId}: the person has no registered device any more, nobody is told")]
    private partial void LogNothingToAsk(long requestId);
}
