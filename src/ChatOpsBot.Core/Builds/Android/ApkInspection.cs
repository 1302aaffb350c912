using System.Diagnostics.CodeAnalysis;

namespace ChatOpsBot.Core.Builds.Android;

// What an accepted APK says about itself. Strings come from the app's own manifest and resources: untrusted text.
public sealed record ApkInspection(
    string Package,
    string? VersionName,
    long VersionCode,
    int VersionCodeMajor,
    int MinSdkVersion,
    int TargetSdkVersion,
    string Label,
    IReadOnlyDictionary<string, string> LocalizedLabels,
    bool Debuggable,
    IReadOnlyList<string> Abis,
    ApkFormFactor FormFactor,
    ApkIcon? Icon,
    IReadOnlyList<string> SignatureSchemes,
    IReadOnlyList<ApkSigner> Signers)
{
    // The versionCode Android compares (PackageInfo.getLongVersionCode): major in the high 32 bits.
    public long LongVersionCode => ((long)VersionCodeMajor << 32) | (VersionCode & 0xFFFFFFFF);
}

public enum ApkFormFactor
{
    PhoneOrTablet,
    Tv,
    Wear,
}

// The launcher icon's file as the APK holds it: PNG, WebP or JPEG, with the type to serve it with.
public sealed record ApkIcon(ReadOnlyMemory<byte> Bytes, string ContentType, string Path);

// The certificate Android identifies the signer by; Sha256 is lowercase hex of the DER certificate, as apksigner prints.
public sealed record ApkSigner(string Subject, string Sha256);

public enum ApkRejectionReason
{
    NotAZip,
    NotAnApk,
    Malformed,
    TooManyEntries,
    EntryTooLarge,
    DuplicateEntry,
    // The API's reason code, named by issue 14; it means "carries no signature", not an integer type.
#pragma warning disable CA1720
    Unsigned,
#pragma warning restore CA1720
    AppBundle,
    // Targets Android 11 (API 30) or later with only a v1 signature, which Android 11 refuses to install.
    V2SignatureRequired,
    // Targets Android 11 or later with resources.arsc compressed or unaligned, which Android 11 refuses to install.
    ResourcesCompressed,
}

// Why an upload was refused: a stable code for clients, a message a person can act on, and, for a damaged or
// oversized file, where the fault lies (the byte offset within Entry, or within the upload when Entry is null).
public sealed record ApkRejection(ApkRejectionReason Reason, string Message, long? Offset = null, string? Entry = null);

public sealed class ApkInspectionResult
{
    private ApkInspectionResult(ApkInspection? inspection, ApkRejection? rejection)
    {
        Inspection = inspection;
        Rejection = rejection;
    }

    public ApkInspection? Inspection { get; }

    public ApkRejection? Rejection { get; }

    [MemberNotNullWhen(true, nameof(Inspection))]
    [MemberNotNullWhen(false, nameof(Rejection))]
    public bool IsAccepted => Inspection is not null;

    internal static ApkInspectionResult Accepted(ApkInspection inspection) => new(inspection, null);

    internal static ApkInspectionResult Rejected(ApkRejection rejection) => new(null, rejection);

    public override string ToString() => IsAccepted ? $"Accepted {Inspection.Package}" : $"Rejected {Rejection.Reason}: {Rejection.Message}";
}

// Caps that hold whatever the headers claim. The zip caps are the IPA's; the rest follow android.md §6.3.
public sealed record ApkLimits
{
    public static ApkLimits Default { get; } = new();

    public int MaxEntries { get; init; } = IpaLimits.Default.MaxEntries;

    public long MaxCentralDirectoryBytes { get; init; } = IpaLimits.Default.MaxCentralDirectoryBytes;

    public int MaxManifestBytes { get; init; } = 4 * 1024 * 1024;

    public int MaxResourceTableBytes { get; init; } = 64 * 1024 * 1024;

    public int MaxIconBytes { get; init; } = IpaLimits.Default.MaxIconBytes;

    public int MaxSignatureFileBytes { get; init; } = 1024 * 1024;

    public int MaxSigningBlockBytes { get; init; } = 16 * 1024 * 1024;
}
