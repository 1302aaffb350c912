using System.Security.Cryptography;
using ChatOpsBot.Core.Links;

namespace ChatOpsBot.Core.Tests.Links;

public sealed class InstallTokenTests
{
    [Fact]
    public void TokensAre128RandomBitsInBase64UrlAndHashToWhatIsStored()
    {
        var tokens = Enumerable.Range(0, 1000).Select(_ => InstallToken.Create()).ToList();

        Assert.All(tokens, t => Assert.Matches("^[A-Za-z0-9_-]{22}$", t.Token));
        Assert.All(tokens, t => Assert.Equal(t.Hash, InstallToken.HashOf(t.Token)));
        Assert.All(tokens, t => Assert.Equal(32, t.Hash.Length));
        Assert.Equal(1000, tokens.Select(t => t.Token).Distinct().Count());
    }

    [Fact]
    public void HashIsTheSha256OfTheTokensBytesNotOfItsText()
    {
        var (token, hash) = InstallToken.Create();

        Assert.Equal(SHA256.HashData(System.Buffers.Text.Base64Url.DecodeFromChars(token)), hash);
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAA+/")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAB")]
    [InlineData("AAAAAAAAAAAAAAAAAAAA..")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAA%")]
    public void AnythingButACanonicalTokenHasNoHash(string token)
    {
        Assert.Null(InstallToken.HashOf(token));
    }
}
