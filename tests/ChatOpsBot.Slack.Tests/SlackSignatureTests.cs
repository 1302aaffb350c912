using System.Text;

namespace ChatOpsBot.Slack.Tests;

public sealed class SlackSignatureTests
{
    // Slack's published example (protocols.md point 2).
    private const string Secret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const string Timestamp = "1531420618";
    private const string Signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");

    private static readonly DateTimeOffset SignedAt = DateTimeOffset.FromUnixTimeSeconds(1531420618);

    private static SlackSignatureCheck Verify(string? timestamp = Timestamp, string? signature = Signature, byte[]? body = null, DateTimeOffset? now = null) =>
        SlackSignature.Verify(Secret, timestamp, signature, body ?? Body, now ?? SignedAt);

    [Fact]
    public void SlacksPublishedExampleIsValidAtItsOwnTimestamp() => Assert.Equal(SlackSignatureCheck.Valid, Verify());

    [Fact]
    public void SigningSlacksExampleGivesSlacksSignature() => Assert.Equal(Signature, SlackSignature.Sign(Secret, Timestamp, Body));

    [Fact]
    public void OneChangedByteInTheBodyIsRejected()
    {
        var tampered = (byte[])Body.Clone();
        tampered[^1] ^= 1;

        Assert.Equal(SlackSignatureCheck.BadSignature, Verify(body: tampered));
    }

    [Fact]
    public void ReencodedFormBodyIsRejected()
    {
        // Re-serialising a parsed form (+ for %20, other escapes) changes the bytes and so the signature.
        var reencoded = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Body).Replace("%2F", "/", StringComparison.Ordinal));

        Assert.Equal(SlackSignatureCheck.BadSignature, Verify(body: reencoded));
    }

    [Fact]
    public void SignatureWithAnotherSecretIsRejected() =>
        Assert.Equal(SlackSignatureCheck.BadSignature, Verify(signature: SlackSignature.Sign("another-secret", Timestamp, Body)));

    [Fact]
    public void TimestampChangedAfterSigningIsRejected() =>
        Assert.Equal(SlackSignatureCheck.BadSignature, Verify(timestamp: "1531420619", now: SignedAt));

    [Theory]
    [InlineData(-300)]
    [InlineData(300)]
    [InlineData(0)]
    public void RequestExactlyFiveMinutesFromNowIsAccepted(int seconds) =>
        Assert.Equal(SlackSignatureCheck.Valid, Verify(now: SignedAt.AddSeconds(-seconds)));

    [Fact]
    public void StaleRequestIsRejected() =>
        Assert.Equal(SlackSignatureCheck.OutsideReplayWindow, Verify(now: SignedAt.AddSeconds(301)));

    [Fact]
    public void RequestFromTheFutureIsRejected() =>
        Assert.Equal(SlackSignatureCheck.OutsideReplayWindow, Verify(now: SignedAt.AddSeconds(-301)));

    [Theory]
    [InlineData(null, Signature)]
    [InlineData("", Signature)]
    [InlineData(Timestamp, null)]
    [InlineData(Timestamp, "")]
    public void MissingHeadersAreRejected(string? timestamp, string? signature) =>
        Assert.Equal(SlackSignatureCheck.MissingHeaders, Verify(timestamp, signature));

    [Theory]
    [InlineData("1531420618.5")]
    [InlineData("-1531420618")]
    [InlineData(" 1531420618")]
    [InlineData("99999999999999999999")]
    public void TimestampThatIsNotWholeSecondsIsRejected(string timestamp) =>
        Assert.Equal(SlackSignatureCheck.BadTimestamp, Verify(timestamp: timestamp));

    [Theory]
    [InlineData("v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b5")]
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b50300")]
    [InlineData("v0=z2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("v0=A2114D57B48EAC39B9AD189DD8316235A7B4A8D21A10BD27519666489C69B503")]
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b50 ")]
    public void SignatureInAnyOtherShapeIsRejected(string signature) =>
        Assert.Equal(SlackSignatureCheck.BadSignature, Verify(signature: signature));
}
