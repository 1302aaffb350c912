using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace ChatOpsBot.Core.Links;

/// <summary>
/// Install-link tokens: 128 random bits, base64url in the URL path. Only their SHA-256 is stored, so a copy of the
/// database does not hand out working links.
/// </summary>
public static class InstallToken
{
    private const int TokenBytes = 16;

    private static readonly SearchValues<char> Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>The token's text length: 16 bytes in unpadded base64url.</summary>
    public const int Length = 22;

    /// <summary>A new random token and the hash to store for it.</summary>
    public static (string Token, byte[] Hash) Create()
    {
        Span<byte> raw = stackalloc byte[TokenBytes];
        RandomNumberGenerator.Fill(raw);
        return (Base64Url.EncodeToString(raw), SHA256.HashData(raw));
    }

    /// <summary>The stored hash for a token taken from a URL, or null when it cannot be one of ours.</summary>
    public static byte[]? HashOf(string token)
    {
        if (token.Length != Length || token.AsSpan().ContainsAnyExcept(Alphabet))
            return null;
        Span<byte> raw = stackalloc byte[TokenBytes];
        try
        {
            if (!Base64Url.TryDecodeFromChars(token, raw, out var written) || written != TokenBytes)
                return null;
        }
        catch (FormatException)
        {
            // .NET's decoder throws, rather than returning false, for non-zero spare bits in the last character.
            return null;
        }
        // Only the canonical spelling: the last character carries 2 spare bits, which must be zero.
        if (!string.Equals(Base64Url.EncodeToString(raw), token, StringComparison.Ordinal))
            return null;
        return SHA256.HashData(raw);
    }
}
