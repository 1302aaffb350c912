using System.Diagnostics.CodeAnalysis;

namespace ChatOpsBot.Core.Builds;

// What an accepted IPA says about itself. Strings come from the app's own Info.plist and are untrusted text.
public sealed record IpaInspection(
    string BundleId,
    string? ShortVersion,
    string? BuildNumber,
    string DisplayName,
    string? MinimumOsVersion,
    IReadOnlyList<int> DeviceFamilies,
    IReadOnlyList<string> SupportedPlatforms,
    AppIcon? Icon,
    ProvisioningProfileSummary? Profile);

// A standard (never CgBI) PNG, safe to serve to browsers and to iOS as the manifest's display-image.
public sealed record AppIcon(ReadOnlyMemory<byte> Png, int Width, int Height);

public enum IpaRejectionReason
{
    NotAZip,
    TooManyEntries,
    EntryTooLarge,
    UnsupportedCompression,
    CorruptEntry,
    DuplicateEntry,
    NoApp,
    MultipleApps,
    MissingInfoPlist,
    InvalidInfoPlist,
    MissingBundleIdentifier,
    SimulatorBuild,
    InvalidProfile,
    AppStoreProfile,
    InvalidMetadata,
}

// Why an upload was refused: a stable code for clients, a message a person can act on, and the Info.plist key at
// fault where one is.
public sealed record IpaRejection(IpaRejectionReason Reason, string Message, string? Key = null);

public sealed class IpaInspectionResult
{
    private IpaInspectionResult(IpaInspection? inspection, IpaRejection? rejection)
    {
        Inspection = inspection;
        Rejection = rejection;
    }

    public IpaInspection? Inspection { get; }

    public IpaRejection? Rejection { get; }

    [MemberNotNullWhen(true, nameof(Inspection))]
    [MemberNotNullWhen(false, nameof(Rejection))]
    public bool IsAccepted => Inspection is not null;

    internal static IpaInspectionResult Accepted(IpaInspection inspection) => new(inspection, null);

    internal static IpaInspectionResult Rejected(IpaRejectionReason reason, string message, string? key = null) => new(null, new(reason, message, key));

    public override string ToString() => IsAccepted ? $"Accepted {Inspection.BundleId}" : $"Rejected {Rejection.Reason}: {Rejection.Message}";
}

// Caps that hold whatever the zip headers claim. The defaults fit every real IPA we know of by a wide margin.
public sealed record IpaLimits
{
    public static IpaLimits Default { get; } = new();

    public int MaxEntries { get; init; } = 200_000;

    // Bounds the memory ZipArchive spends on entry objects before we can count them.
    public long MaxCentralDirectoryBytes { get; init; } = 64L * 1024 * 1024;

    public int MaxInfoPlistBytes { get; init; } = 1024 * 1024;

    public int MaxIconBytes { get; init; } = 2 * 1024 * 1024;

    public int MaxProfileBytes { get; init; } = 1024 * 1024;
}

// Internal control flow only: the public surface reports rejections as an IpaInspectionResult.
internal sealed class IpaRejectedException(IpaRejectionReason reason, string message, string? key = null) : Exception(message)
{
    public IpaRejectionReason Reason { get; } = reason;

    public string? Key { get; } = key;
}
