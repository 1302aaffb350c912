using System.Globalization;

namespace ChatOpsBot.Core.Builds.Android;

// The one exception the APK readers raise for input they refuse: malformed structure, a limit exceeded, or an
// archive that is not an installable APK. It always says where: the byte offset within Entry (the zip entry being
// read), or within the upload itself when Entry is null.
public sealed class ApkFormatException : Exception
{
    public ApkFormatException()
        : this(ApkRejectionReason.Malformed, "The APK is malformed.", 0)
    {
    }

    public ApkFormatException(string message)
        : this(ApkRejectionReason.Malformed, message, 0)
    {
    }

    public ApkFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = ApkRejectionReason.Malformed;
        Detail = message;
    }

    public ApkFormatException(ApkRejectionReason reason, string detail, long offset, string? entry = null, Exception? innerException = null)
        : base(Describe(reason, detail, offset, entry), innerException)
    {
        Reason = reason;
        Detail = detail;
        Offset = offset;
        Entry = entry;
    }

    public ApkRejectionReason Reason { get; }

    // The message without the position, for callers that show the position separately.
    public string Detail { get; }

    public long Offset { get; }

    public string? Entry { get; }

    // A position helps whoever debugs a damaged file; an unsigned APK or an app bundle is refused for what it is, and a
    // position there would only distract.
    internal static bool IsAboutStructure(ApkRejectionReason reason) =>
        reason is not (ApkRejectionReason.Unsigned or ApkRejectionReason.AppBundle or ApkRejectionReason.NotAnApk
            or ApkRejectionReason.V2SignatureRequired or ApkRejectionReason.ResourcesCompressed);

    private static string Describe(ApkRejectionReason reason, string detail, long offset, string? entry) =>
        !IsAboutStructure(reason)
            ? detail + "."
            : entry is null
            ? string.Create(CultureInfo.InvariantCulture, $"{detail} (at byte {offset} of the upload).")
            : string.Create(CultureInfo.InvariantCulture, $"{detail} (in {entry}, at byte {offset}).");
}
