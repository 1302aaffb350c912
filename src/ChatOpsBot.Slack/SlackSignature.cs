using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ChatOpsBot.Slack;

internal enum SlackSignatureCheck
{
    Valid,
    MissingHeaders,
    BadTimestamp,
    OutsideReplayWindow,
    BadSignature,
}

/// <summary>
/// Slack's request signature: <c>v0=</c> + hex HMAC-SHA256 over <c>v0:{timestamp}:{raw body}</c> keyed with the signing
/// secret, for a timestamp within five minutes of now in either direction.
/// </summary>
internal static class SlackSignature
{
    public const string TimestampHeader = "X-Slack-Request-Timestamp";
    public const string SignatureHeader = "X-Slack-Signature";
    public static readonly TimeSpan ReplayWindow = TimeSpan.FromSeconds(300);

    private const string Version = "v0";

    public static SlackSignatureCheck Verify(string signingSecret, string? timestamp, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
            return SlackSignatureCheck.MissingHeaders;
        if (timestamp.Length > 12 || !timestamp.All(char.IsAsciiDigit) || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return SlackSignatureCheck.BadTimestamp;
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > (long)ReplayWindow.TotalSeconds)
            return SlackSignatureCheck.OutsideReplayWindow;
        if (!TryDecode(signature, out var presented))
            return SlackSignatureCheck.BadSignature;

        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(signingSecret));
        hmac.AppendData(Encoding.ASCII.GetBytes($"{Version}:{timestamp}:"));
        hmac.AppendData(body);
        Span<byte> expected = stackalloc byte[32];
        hmac.GetHashAndReset(expected);
        return CryptographicOperations.FixedTimeEquals(expected, presented) ? SlackSignatureCheck.Valid : SlackSignatureCheck.BadSignature;
    }

    /// <summary>Signs a body the way Slack does; for tests and tools that talk to this app.</summary>
    public static string Sign(string signingSecret, string timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(signingSecret));
        hmac.AppendData(Encoding.ASCII.GetBytes($"{Version}:{timestamp}:"));
        hmac.AppendData(body);
        return $"{Version}={Convert.ToHexStringLower(hmac.GetHashAndReset())}";
    }

    private static bool TryDecode(string signature, out byte[] hash)
    {
        hash = [];
        var hex = signature.AsSpan();
        if (hex.Length != Version.Length + 1 + 64 || !hex.StartsWith(Version + "=", StringComparison.Ordinal))
            return false;
        hex = hex[(Version.Length + 1)..];
        foreach (var c in hex)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
                return false;
        }
        hash = Convert.FromHexString(hex);
        return true;
    }
}
