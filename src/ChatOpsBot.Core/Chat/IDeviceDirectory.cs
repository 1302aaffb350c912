namespace ChatOpsBot.Core.Chat;

/// <summary>What the chat engine needs to know about registered devices; the host implements it over its database.</summary>
public interface IDeviceDirectory
{
    /// <summary>A new personal, expiring /d/{token} link that registers the device which opens it.</summary>
    Task<DeviceLinkOffer> CreateLinkAsync(ChatUser user, CancellationToken cancellationToken);

    /// <summary>The person's own devices, oldest first.</summary>
    Task<IReadOnlyList<RegisteredDevice>> ListAsync(ChatUser user, CancellationToken cancellationToken);

    /// <summary>Deletes one of the person's own devices; false when it was not theirs or is already gone.</summary>
    Task<bool> ForgetAsync(ChatUser user, long deviceId, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the person's devices are in the build's profile. The first time a person without devices asks about a
    /// build that needs one, the verdict offers "device"; later ones do not.
    /// </summary>
    Task<InstallVerdict> VerdictAsync(ChatUser user, long buildId, CancellationToken cancellationToken);

    /// <summary>Every registered device the build's profile does not include, or null when the build's device list is not known.</summary>
    Task<IReadOnlyList<RegisteredDevice>?> MissingFromAsync(long buildId, CancellationToken cancellationToken);

    /// <summary>
    /// "Ask to add my device": records that the person waits for a build of the app whose profile includes one of
    /// their devices, and notifies the release managers once; a request already waiting is not sent again.
    /// </summary>
    /// <param name="user">Who pressed the button.</param>
    /// <param name="buildId">The build whose profile lacks their devices.</param>
    /// <param name="conversation">Where the button was pressed (Teams: the service URL to answer through later).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<DeviceRequestResult> RequestAsync(ChatUser user, long buildId, ConversationAddress? conversation, CancellationToken cancellationToken);

    /// <summary>Whether App Store Connect registration is configured.</summary>
    bool CanRegisterWithApple { get; }

    /// <summary>
    /// Registers every registered device the build's profile lacks in App Store Connect; null when the build is
    /// unknown, its device list is not known, or registration is not configured.
    /// </summary>
    Task<IReadOnlyList<AppleRegistration>?> RegisterWithAppleAsync(long buildId, CancellationToken cancellationToken);
}

/// <summary>What Apple answered for one device.</summary>
public enum AppleRegistrationOutcome
{
    /// <summary>201: the device is in the team's list now.</summary>
    Registered,

    /// <summary>409: the team already has a device with this UDID.</summary>
    AlreadyRegistered,

    /// <summary>409: Apple refused the UDID as invalid.</summary>
    InvalidUdid,

    /// <summary>403: the team has reached Apple's device limit for the membership year.</summary>
    LimitReached,

    /// <summary>403: the API key may not register devices (its role, or an agreement to accept).</summary>
    NotAllowed,

    /// <summary>Anything else: another status, Apple unreachable.</summary>
    Failed,
}

/// <param name="Device">The device as release managers see it.</param>
/// <param name="Outcome">What Apple answered.</param>
/// <param name="Detail">Apple's own words (its error's detail), when it gave any.</param>
public sealed record AppleRegistration(RegisteredDevice Device, AppleRegistrationOutcome Outcome, string? Detail = null)
{
    /// <summary>The plain sentence for release managers.</summary>
    public string Sentence => Outcome switch
    {
        AppleRegistrationOutcome.Registered => $"{Device.Name} ({Device.OwnerName}): registered in App Store Connect.",
        AppleRegistrationOutcome.AlreadyRegistered => $"{Device.Name} ({Device.OwnerName}): already registered in App Store Connect.",
        AppleRegistrationOutcome.InvalidUdid => $"{Device.Name} ({Device.OwnerName}): not registered, Apple says its UDID is not valid.",
        AppleRegistrationOutcome.LimitReached => $"{Device.Name} ({Device.OwnerName}): not registered, the team has reached Apple's device limit for this membership year.",
        AppleRegistrationOutcome.NotAllowed => $"{Device.Name} ({Device.OwnerName}): not registered, Apple does not allow this API key to register devices{(Detail is { Length: > 0 } d ? $" ({d})" : "")}.",
        _ => $"{Device.Name} ({Device.OwnerName}): not registered{(Detail is { Length: > 0 } d ? $" ({d})" : "")}.",
    };
}

/// <summary>What pressing "Ask to add my device" came to.</summary>
public enum DeviceRequestOutcome
{
    /// <summary>Recorded; the release managers are being told.</summary>
    Requested,

    /// <summary>The person already waits for this app; nobody is told twice.</summary>
    AlreadyWaiting,

    /// <summary>One of the person's devices is in the profile after all, or the build takes no device list.</summary>
    NotNeeded,

    /// <summary>The person has no registered device to ask for.</summary>
    NoDevices,

    /// <summary>The build no longer exists.</summary>
    BuildGone,

    /// <summary>Neither release managers nor a requests conversation are configured: there is nobody to ask.</summary>
    NobodyToAsk,
}

/// <param name="Outcome">What happened.</param>
/// <param name="AppName">The app's display name, when the build was found.</param>
/// <param name="Models">The models asked for.</param>
public sealed record DeviceRequestResult(DeviceRequestOutcome Outcome, string? AppName = null, IReadOnlyList<string>? Models = null);

public sealed record DeviceLinkOffer(string Url, DateTimeOffset ExpiresAt);

/// <param name="Id">The device's id in the registry.</param>
/// <param name="Name">Readable, such as "iPhone 15 Pro (iOS 18.1)".</param>
/// <param name="Model">The model alone, such as "iPhone 15 Pro".</param>
/// <param name="Udid">As the device reported it.</param>
/// <param name="OwnerName">Who registered it.</param>
/// <param name="RegisteredAt">When it last reported.</param>
public sealed record RegisteredDevice(long Id, string Name, string Model, string Udid, string OwnerName, DateTimeOffset RegisteredAt);

/// <summary>What a person's registered devices say about installing one build.</summary>
public enum DeviceVerdictKind
{
    /// <summary>The build takes no device list (enterprise, App Store): nothing to check.</summary>
    NotApplicable,

    /// <summary>An ad-hoc or development build uploaded before device lists were kept.</summary>
    Unknown,

    /// <summary>The person has registered no device.</summary>
    NoDevices,

    /// <summary>At least one of the person's devices is in the profile.</summary>
    Included,

    /// <summary>None of the person's devices is in the profile: iOS will refuse to install.</summary>
    NotIncluded,
}

/// <param name="Kind">What the check found.</param>
/// <param name="Models">The models of the person's devices the verdict is about (those included, or all when none is).</param>
/// <param name="OfferRegistration">Tell the person once that "device" registers their iPhone.</param>
public sealed record InstallVerdict(DeviceVerdictKind Kind, IReadOnlyList<string> Models, bool OfferRegistration = false)
{
    public static readonly InstallVerdict NotApplicable = new(DeviceVerdictKind.NotApplicable, []);

    /// <summary>The plain sentence for a person none of whose devices can install the build; null otherwise.</summary>
    public string? Warning => Kind == DeviceVerdictKind.NotIncluded
        ? Models.Count == 1
            ? $"Your {Models[0]} is not in this build's profile, so iOS will refuse to install it."
            : $"Your {JoinModels(Models)} are not in this build's profile, so iOS will refuse to install it on them."
        : null;

    /// <summary>A one-line hint for a person without registered devices, the first time; null otherwise.</summary>
    public string? Hint => Kind == DeviceVerdictKind.NoDevices && OfferRegistration
        ? "This build installs only on registered devices: send me \"device\" and I'll tell you before installing whether yours is in the profile."
        : null;

    private static string JoinModels(IReadOnlyList<string> models) =>
        models.Count <= 1 ? string.Concat(models) : string.Join(", ", models.Take(models.Count - 1)) + " and " + models[^1];
}
