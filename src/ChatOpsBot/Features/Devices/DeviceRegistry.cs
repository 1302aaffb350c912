using System.Security.Cryptography;
using ChatOpsBot.Core.Builds;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Core.Devices;
using ChatOpsBot.Core.Links;
using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Devices;

/// <summary>The person a device belongs to: chat platform, workspace (empty when none) and user id.</summary>
internal sealed record DeviceOwner(string Platform, string Workspace, string UserId)
{
    public static DeviceOwner Of(ChatUser user) => new(user.Platform, user.Workspace ?? "", user.UserId);
}

/// <summary>A /d/{token} link as its pages see it.</summary>
internal sealed record ResolvedDeviceLink(DeviceLink Link, DeviceLinkStatus Status);

internal enum DeviceLinkStatus
{
    Ready,
    Used,
    Expired,
}

/// <summary>What a device's post came to.</summary>
internal enum EnrollmentOutcome
{
    Registered,
    Updated,
    Replayed,
}

/// <summary>Device links, registered devices and the install verdict; chat, the pages and the API use this one service.</summary>
internal sealed partial class DeviceRegistry(
    ChatOpsBotDb db,
    DeviceUrls urls,
    TimeProvider time,
    IOptions<DeviceOptions> options,
    DeviceRequests requests,
    IOptions<AppStoreConnectOptions> appStoreConnect,
    AppStoreConnectClient apple,
    ILogger<DeviceRegistry> logger) : IDeviceDirectory
{
    /// <summary>How long after a device reported its link's done page still shows it.</summary>
    public static readonly TimeSpan DonePageLifetime = TimeSpan.FromHours(1);

    public async Task<DeviceLinkOffer> CreateLinkAsync(ChatUser user, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var (token, hash) = InstallToken.Create();
        var owner = DeviceOwner.Of(user);
        var link = db.DeviceLinks.Add(new DeviceLink
        {
            TokenHash = hash,
            Challenge = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            Platform = owner.Platform,
            Workspace = owner.Workspace,
            UserId = owner.UserId,
            UserName = user.DisplayName,
            CreatedAt = now,
            ExpiresAt = now + options.Value.LinkLifetime,
        }).Entity;
        await db.SaveChangesAsync(cancellationToken);
        LogLinkCreated(link.Id, owner.Platform, link.ExpiresAt);
        return new DeviceLinkOffer(urls.Page(token), new DateTimeOffset(link.ExpiresAt, TimeSpan.Zero));
    }

    public async Task<ResolvedDeviceLink?> ResolveAsync(string token, CancellationToken cancellationToken)
    {
        if (InstallToken.HashOf(token) is not { } hash)
            return null;
        var link = await db.DeviceLinks.AsNoTracking().SingleOrDefaultAsync(l => l.TokenHash == hash, cancellationToken);
        if (link is null)
            return null;
        var now = time.GetUtcNow().UtcDateTime;
        var status = link.UsedAt is not null ? DeviceLinkStatus.Used : now >= link.ExpiresAt ? DeviceLinkStatus.Expired : DeviceLinkStatus.Ready;
        return new ResolvedDeviceLink(link, status);
    }

    /// <summary>
    /// Marks the link used and stores the device for the link's owner, in one transaction: of two posts through one
    /// link, one registers and the other is a replay; a failure leaves the link unused.
    /// </summary>
    public async Task<EnrollmentOutcome> EnrollAsync(DeviceLink link, EnrolledDevice reported, CancellationToken cancellationToken)
    {
        var normalized = Udid.Normalize(reported.Udid);
        var name = DeviceNames.Describe(reported.Product, reported.Version);
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            var now = time.GetUtcNow().UtcDateTime;
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var claimed = await db.DeviceLinks.Where(l => l.Id == link.Id && l.UsedAt == null && l.ExpiresAt > now)
                .ExecuteUpdateAsync(l => l.SetProperty(x => x.UsedAt, now), ct);
            if (claimed == 0)
                return EnrollmentOutcome.Replayed;
            var device = await db.Devices.SingleOrDefaultAsync(d => d.Platform == link.Platform && d.Workspace == link.Workspace
                && d.UserId == link.UserId && d.UdidNormalized == normalized, ct);
            var outcome = device is null ? EnrollmentOutcome.Registered : EnrollmentOutcome.Updated;
            device ??= db.Devices.Add(new Device
            {
                Platform = link.Platform, Workspace = link.Workspace, UserId = link.UserId, OwnerName = link.UserName,
                Udid = reported.Udid, UdidNormalized = normalized, Name = name,
            }).Entity;
            device.Udid = reported.Udid;
            device.OwnerName = link.UserName;
            device.Product = reported.Product;
            device.Version = reported.Version;
            device.Serial = reported.Serial;
            device.Name = name;
            device.RegisteredAt = now;
            await db.SaveChangesAsync(ct);
            await db.DeviceLinks.Where(l => l.Id == link.Id).ExecuteUpdateAsync(l => l.SetProperty(x => x.DeviceId, device.Id), ct);
            await transaction.CommitAsync(ct);
            LogDeviceStored(device.Id, link.Id, outcome);
            return outcome;
        }, cancellationToken);
    }

    /// <summary>The name of the device a used link registered, while its done page lives.</summary>
    public async Task<string?> RegisteredThroughAsync(DeviceLink link, CancellationToken cancellationToken)
    {
        if (link.UsedAt is not { } used || link.DeviceId is not { } id || time.GetUtcNow().UtcDateTime >= used + DonePageLifetime)
            return null;
        return await db.Devices.AsNoTracking().Where(d => d.Id == id).Select(d => d.Name).SingleOrDefaultAsync(cancellationToken);
    }

    public Task<IReadOnlyList<RegisteredDevice>> ListAsync(ChatUser user, CancellationToken cancellationToken) =>
        ListAsync(DeviceOwner.Of(user), cancellationToken);

    public async Task<IReadOnlyList<RegisteredDevice>> ListAsync(DeviceOwner owner, CancellationToken cancellationToken)
    {
        var devices = await OwnedBy(owner).AsNoTracking().OrderBy(d => d.Id).ToListAsync(cancellationToken);
        return [.. devices.Select(ToRegistered)];
    }

    public async Task<bool> ForgetAsync(ChatUser user, long deviceId, CancellationToken cancellationToken)
    {
        var deleted = await OwnedBy(DeviceOwner.Of(user)).Where(d => d.Id == deviceId).ExecuteDeleteAsync(cancellationToken) > 0;
        if (deleted)
        {
            // SQLite keeps foreign keys on, but a statement of ExecuteDelete does not fire EF's SetNull: clear it here.
            await db.DeviceLinks.Where(l => l.DeviceId == deviceId).ExecuteUpdateAsync(l => l.SetProperty(x => x.DeviceId, (long?)null), cancellationToken);
            // A person without devices waits for nothing.
            var owner = DeviceOwner.Of(user);
            if (!await OwnedBy(owner).AnyAsync(cancellationToken))
                await db.DeviceRequests.Where(r => r.Platform == owner.Platform && r.Workspace == owner.Workspace && r.UserId == owner.UserId)
                    .ExecuteDeleteAsync(cancellationToken);
            LogDeviceForgotten(deviceId);
        }
        return deleted;
    }

    public async Task<InstallVerdict> VerdictAsync(ChatUser user, long buildId, CancellationToken cancellationToken)
    {
        var verdict = await VerdictAsync(DeviceOwner.Of(user), buildId, cancellationToken);
        if (verdict.Kind != DeviceVerdictKind.NoDevices)
            return verdict;
        var owner = DeviceOwner.Of(user);
        // Offered once: the hint's row is the memory, and of two asks at once the key lets one insert it.
        if (await db.DeviceHints.AnyAsync(h => h.Platform == owner.Platform && h.Workspace == owner.Workspace && h.UserId == owner.UserId, cancellationToken))
            return verdict;
        var hint = db.DeviceHints.Add(new DeviceHint { Platform = owner.Platform, Workspace = owner.Workspace, UserId = owner.UserId, OfferedAt = time.GetUtcNow().UtcDateTime });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            return verdict;
        }
        finally
        {
            db.Entry(hint.Entity).State = EntityState.Detached;
        }
        return verdict with { OfferRegistration = true };
    }

    /// <summary>The verdict without the once-only hint, as the install page shows it.</summary>
    public async Task<InstallVerdict> VerdictAsync(DeviceOwner owner, long buildId, CancellationToken cancellationToken)
    {
        var build = await db.Builds.AsNoTracking().Where(b => b.Id == buildId)
            .Select(b => new { b.ProfileType, b.DeviceListStored }).SingleOrDefaultAsync(cancellationToken);
        if (build is null || build.ProfileType is not (ProvisioningProfileType.AdHoc or ProvisioningProfileType.Development))
            return InstallVerdict.NotApplicable;
        if (!build.DeviceListStored)
            return new InstallVerdict(DeviceVerdictKind.Unknown, []);
        var mine = await OwnedBy(owner).AsNoTracking().OrderBy(d => d.Id)
            .Select(d => new { d.Product, Included = db.BuildDevices.Any(b => b.BuildId == buildId && b.Udid == d.UdidNormalized) })
            .ToListAsync(cancellationToken);
        if (mine.Count == 0)
            return new InstallVerdict(DeviceVerdictKind.NoDevices, []);
        var included = mine.Where(d => d.Included).Select(d => DeviceNames.Model(d.Product)).Distinct().ToList();
        return included.Count > 0
            ? new InstallVerdict(DeviceVerdictKind.Included, included)
            : new InstallVerdict(DeviceVerdictKind.NotIncluded, [.. mine.Select(d => DeviceNames.Model(d.Product)).Distinct()]);
    }

    public async Task<DeviceRequestResult> RequestAsync(ChatUser user, long buildId, ConversationAddress? conversation, CancellationToken cancellationToken)
    {
        var build = await db.Builds.AsNoTracking().Where(b => b.Id == buildId)
            .Select(b => new { b.AppId, b.App.DisplayName }).SingleOrDefaultAsync(cancellationToken);
        if (build is null)
            return new DeviceRequestResult(DeviceRequestOutcome.BuildGone);
        var owner = DeviceOwner.Of(user);
        var verdict = await VerdictAsync(owner, buildId, cancellationToken);
        var outcome = verdict.Kind switch
        {
            DeviceVerdictKind.NoDevices => DeviceRequestOutcome.NoDevices,
            DeviceVerdictKind.NotIncluded when !requests.AnyoneToAsk => DeviceRequestOutcome.NobodyToAsk,
            DeviceVerdictKind.NotIncluded => await requests.CreateAsync(owner, user.DisplayName, build.AppId, buildId, conversation, cancellationToken)
                ? DeviceRequestOutcome.Requested
                : DeviceRequestOutcome.AlreadyWaiting,
            _ => DeviceRequestOutcome.NotNeeded,
        };
        return new DeviceRequestResult(outcome, build.DisplayName, verdict.Models);
    }

    public bool CanRegisterWithApple => appStoreConnect.Value.Enabled;

    public async Task<IReadOnlyList<AppleRegistration>?> RegisterWithAppleAsync(long buildId, CancellationToken cancellationToken) =>
        CanRegisterWithApple && await ListAllAsync(buildId, cancellationToken) is { Known: true } listed
            ? await RegisterWithAppleAsync(listed.Devices, cancellationToken)
            : null;

    /// <summary>Registers each device in App Store Connect, one call after another, under the name Apple's bulk file would give it.</summary>
    public async Task<List<AppleRegistration>> RegisterWithAppleAsync(List<Device> devices, CancellationToken cancellationToken)
    {
        var results = new List<AppleRegistration>(devices.Count);
        foreach (var device in devices)
        {
            var (outcome, detail) = await apple.RegisterAsync($"{device.OwnerName} {DeviceNames.Model(device.Product)}", device.Udid, cancellationToken);
            results.Add(new AppleRegistration(ToRegistered(device), outcome, detail));
        }
        return results;
    }

    public async Task<IReadOnlyList<RegisteredDevice>?> MissingFromAsync(long buildId, CancellationToken cancellationToken) =>
        await ListAllAsync(buildId, cancellationToken) is { Known: true } listed ? [.. listed.Devices.Select(ToRegistered)] : null;

    /// <summary>Every registered device, or only those the build's profile does not include; for release managers.</summary>
    /// <returns>Null when there is no such build; Known false when the build's device list is not known.</returns>
    public async Task<(bool Known, List<Device> Devices)?> ListAllAsync(long? missingFrom, CancellationToken cancellationToken)
    {
        var query = db.Devices.AsNoTracking();
        if (missingFrom is { } buildId)
        {
            var build = await db.Builds.AsNoTracking().Where(b => b.Id == buildId)
                .Select(b => new { b.DeviceListStored, b.ProfileType }).SingleOrDefaultAsync(cancellationToken);
            if (build is null)
                return null;
            if (!build.DeviceListStored || build.ProfileType is not (ProvisioningProfileType.AdHoc or ProvisioningProfileType.Development))
                return (false, []);
            query = query.Where(d => !db.BuildDevices.Any(b => b.BuildId == buildId && b.Udid == d.UdidNormalized));
        }
        return (true, await query.OrderBy(d => d.Id).ToListAsync(cancellationToken));
    }

    private IQueryable<Device> OwnedBy(DeviceOwner owner) =>
        db.Devices.Where(d => d.Platform == owner.Platform && d.Workspace == owner.Workspace && d.UserId == owner.UserId);

    private static RegisteredDevice ToRegistered(Device d) =>
        new(d.Id, d.Name, DeviceNames.Model(d.Product), d.Udid, d.OwnerName, new DateTimeOffset(d.RegisteredAt, TimeSpan.Zero));

    [LoggerMessage(EventId = 6900, Level = LogLevel.Information, Message = "Created device link {LinkId} ({Platform}), expires {ExpiresAt:o}")]
    private partial void LogLinkCreated(long linkId, string platform, DateTime expiresAt);

    [LoggerMessage(EventId = 6901, Level = LogLevel.Information, Message = "Device {DeviceId} reported through device link {LinkId}: {Outcome}")]
    private partial void LogDeviceStored(long deviceId, long linkId, EnrollmentOutcome outcome);

    [LoggerMessage(EventId = 6902, Level = LogLevel.Information, Message = "Device {DeviceId} forgotten by its owner")]
    private partial void LogDeviceForgotten(long deviceId);
}
