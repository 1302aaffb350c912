using System.Text;
using ChatOpsBot.Core.Devices;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Tests.Devices;

public sealed class DeviceEnrollmentTests
{
    [Fact]
    public void SignedAnswerGivesTheDeviceAttributes()
    {
        using var devices = new TestDevices();

        var device = DeviceEnrollment.Read(devices.Answer(), TestDevices.Challenge);

        Assert.Equal(new EnrolledDevice(TestDevices.Udid, "iPhone16,1", "18.1", "F2LXK0ABCDEF"), device);
    }

    [Fact]
    public void AnswerSignedByADeviceOfThePinnedCaIsAcceptedThoughBothArePastTheirDates()
    {
        using var devices = new TestDevices();
        using var pinned = devices.PinnedCa();

        var device = DeviceEnrollment.Read(devices.Answer(), TestDevices.Challenge, pinned);

        Assert.Equal(TestDevices.Udid, device.Udid);
        Assert.True(devices.Device.NotAfter < new DateTime(2026, 1, 1) && pinned.NotAfter < new DateTime(2026, 1, 1));
    }

    [Fact]
    public void IndefiniteLengthBerAnswerIsReadLikeDer()
    {
        using var devices = new TestDevices();

        var device = DeviceEnrollment.Read(TestProfiles.ToIndefiniteLengthBer(devices.Answer(), chunkSize: 100), TestDevices.Challenge);

        Assert.Equal(TestDevices.Udid, device.Udid);
    }

    [Fact]
    public void AnswerWhoseContentWasChangedAfterSigningIsRefused()
    {
        using var devices = new TestDevices();
        var answer = devices.Answer();
        var at = IndexOf(answer, Encoding.ASCII.GetBytes(TestDevices.Udid));
        answer[at + 9] = answer[at + 9] == (byte)'0' ? (byte)'1' : (byte)'0';

        var refusal = Assert.Throws<DeviceEnrollmentException>(() => DeviceEnrollment.Read(answer, TestDevices.Challenge));

        Assert.Equal(EnrollmentRejection.BadSignature, refusal.Reason);
    }

    [Fact]
    public void AnswerFromAnIdentityOfAnotherCaIsRefusedWhenTheDeviceCaIsPinned()
    {
        using var devices = new TestDevices();
        using var other = new TestDevices();
        using var pinned = devices.PinnedCa();

        var refusal = Assert.Throws<DeviceEnrollmentException>(() => DeviceEnrollment.Read(other.Answer(), TestDevices.Challenge, pinned));

        Assert.Equal(EnrollmentRejection.UntrustedSigner, refusal.Reason);
        Assert.Equal(TestDevices.Udid, DeviceEnrollment.Read(other.Answer(), TestDevices.Challenge).Udid);
    }

    [Fact]
    public void AnswerFromAForgedCaOfTheSameNameIsRefused()
    {
        using var devices = new TestDevices();
        using var forger = new TestDevices();
        using var pinned = devices.PinnedCa();
        // The forged CA has the real one's name and travels in the message, as an attacker would send it.
        using var forged = TestDevices.Issue(forger.DeviceCa, "CN=" + TestDevices.Udid);

        var refusal = Assert.Throws<DeviceEnrollmentException>(() =>
            DeviceEnrollment.Read(forger.Answer(signer: forged, carried: forger.DeviceCa), TestDevices.Challenge, pinned));

        Assert.Equal(EnrollmentRejection.UntrustedSigner, refusal.Reason);
    }

    [Fact]
    public void SelfSignedAnswerIsRefusedWhenTheDeviceCaIsPinned()
    {
        using var devices = new TestDevices();
        using var pinned = devices.PinnedCa();

        var refusal = Assert.Throws<DeviceEnrollmentException>(() =>
            DeviceEnrollment.Read(TestDevices.SignedAnswer(Plist.ToXml(TestDevices.Attributes()), devices.DeviceCa, carried: null), TestDevices.Challenge, pinned));

        Assert.Equal(EnrollmentRejection.UntrustedSigner, refusal.Reason);
    }

    [Theory]
    [InlineData("not the challenge")]
    [InlineData(null)]
    public void AnswerWithoutThisLinksChallengeIsRefused(string? challenge)
    {
        using var devices = new TestDevices();

        var refusal = Assert.Throws<DeviceEnrollmentException>(() => DeviceEnrollment.Read(devices.Answer(TestDevices.Attributes(challenge: challenge)), TestDevices.Challenge));

        Assert.Equal(EnrollmentRejection.WrongChallenge, refusal.Reason);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-udid")]
    [InlineData("00008130-000A1B2C3D4E801")]
    [InlineData("00008130-000A1B2C3D4E801E\n")]
    public void AnswerWithoutAValidUdidIsRefused(string? udid)
    {
        using var devices = new TestDevices();

        var refusal = Assert.Throws<DeviceEnrollmentException>(() => DeviceEnrollment.Read(devices.Answer(TestDevices.Attributes(udid: udid)), TestDevices.Challenge));

        Assert.Equal(EnrollmentRejection.MissingUdid, refusal.Reason);
    }

    [Fact]
    public void BodyThatIsNotASignedMessageIsRefusedAsMalformed()
    {
        var refusal = Assert.Throws<DeviceEnrollmentException>(() => DeviceEnrollment.Read(Plist.ToXml(TestDevices.Attributes()), TestDevices.Challenge));

        Assert.Equal(EnrollmentRejection.Malformed, refusal.Reason);
    }

    [Fact]
    public void SignedContentThatIsNotAPropertyListIsRefusedAsMalformed()
    {
        using var devices = new TestDevices();

        var refusal = Assert.Throws<DeviceEnrollmentException>(() =>
            DeviceEnrollment.Read(TestDevices.SignedAnswer("UDID=00008130-000A1B2C3D4E801E"u8.ToArray(), devices.Device, devices.DeviceCa), TestDevices.Challenge));

        Assert.Equal(EnrollmentRejection.Malformed, refusal.Reason);
    }

    [Fact]
    public void DetachedSignatureIsRefusedAsMalformed()
    {
        using var devices = new TestDevices();

        var refusal = Assert.Throws<DeviceEnrollmentException>(() =>
            DeviceEnrollment.Read(TestDevices.SignedAnswer(Plist.ToXml(TestDevices.Attributes()), devices.Device, devices.DeviceCa, detached: true), TestDevices.Challenge));

        Assert.Equal(EnrollmentRejection.Malformed, refusal.Reason);
    }

    [Fact]
    public void OversizedBodyIsRefusedBeforeItIsDecoded()
    {
        var refusal = Assert.Throws<DeviceEnrollmentException>(() => DeviceEnrollment.Read(new byte[DeviceEnrollment.MaxBodyBytes + 1], TestDevices.Challenge));

        Assert.Equal(EnrollmentRejection.TooLarge, refusal.Reason);
    }

    [Fact]
    public void TruncatedOrMutatedAnswersOnlyEverThrowTheEnrollmentException()
    {
        using var devices = new TestDevices();
        var answer = devices.Answer();
        var random = new Random(20261203);
        for (var i = 0; i < 400; i++)
        {
            var mutated = i < 100 ? answer[..random.Next(answer.Length)] : (byte[])answer.Clone();
            if (i >= 100)
            {
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                    mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }
            try
            {
                DeviceEnrollment.Read(mutated, TestDevices.Challenge);
            }
            catch (DeviceEnrollmentException)
            {
            }
        }
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        var at = haystack.AsSpan().IndexOf(needle);
        Assert.True(at >= 0);
        return at;
    }
}
