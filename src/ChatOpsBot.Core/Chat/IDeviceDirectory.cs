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
}

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
