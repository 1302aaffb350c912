using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using ChatOpsBot.Core.Devices;
using ChatOpsBot.Core.Tests.Devices;
using ChatOpsBot.Data;
using ChatOpsBot.Jobs;
using ChatOpsBot.PropertyList;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Devices;

public sealed class DeviceRegistrationTests : IDisposable
{
    private readonly TestDevices _devices = new();

    public void Dispose() => _devices.Dispose();

    [Fact]
    public async Task DevicePagesSpendAPerClientBudgetOfTheirOwnAndAnswer429WithRetryAfterUntilTheWindowEnds()
    {
        await using var host = await DeviceHost.StartAsync(new() { ["ChatOpsBot:Install:RequestsPerWindow"] = "3", ["ChatOpsBot:Install:Window"] = "00:01:00" });
        var token = await host.DeviceLinkTokenAsync();
        using var phone = host.Phone();
        phone.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        using var device = host.App.CreateLoopbackClient();
        device.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "Profile/1.0");

        var pages = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await phone.GetAsync($"/d/{token}");
            pages.Add(response.StatusCode);
        }
        using var limitedPage = await phone.GetAsync($"/d/{token}");
        var limitedHtml = await limitedPage.Content.ReadAsStringAsync();
        using var limitedProfile = await device.GetAsync($"/d/{token}/profile");
        // The install links' budgets are their own: the device pages' use leaves them untouched.
        using var install = await phone.GetAsync("/i/AAAAAAAAAAAAAAAAAAAAAA");
        host.App.Clock.Advance(TimeSpan.FromMinutes(1));
        using var renewed = await phone.GetAsync($"/d/{token}");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], pages);
        Assert.Equal(HttpStatusCode.TooManyRequests, limitedPage.StatusCode);
        Assert.Equal("text/html", limitedPage.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Too many requests", limitedHtml, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("no-store", limitedPage.Headers.CacheControl?.ToString());
        Assert.InRange(int.Parse(limitedPage.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(HttpStatusCode.TooManyRequests, limitedProfile.StatusCode);
        Assert.Equal("text/plain", limitedProfile.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, install.StatusCode);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
    }

    [Fact]
    public async Task DeviceCommandLeadsThroughPageAndProfileToAStoredDeviceAndADonePage()
    {
        await using var host = await DeviceHost.StartAsync();

        var answer = await host.CommandAsync("/device", "");
        Assert.Contains("\"response_type\":\"ephemeral\"", answer, StringComparison.Ordinal);
        Assert.Contains("Register this device", answer, StringComparison.Ordinal);
        var token = DeviceHost.DeviceLink().Match(answer).Groups["token"].Value;

        using var phone = host.Phone();
        using var page = await phone.GetAsync($"/d/{token}");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains($"href=\"https://ota.example.test/d/{token}/profile\">Add this device</a>", html, StringComparison.Ordinal);
        Assert.Contains("<b>Profile Downloaded</b>", html, StringComparison.Ordinal);
        Assert.Contains("data-client=\"ios\"", html, StringComparison.Ordinal);

        using var profileResponse = await phone.GetAsync($"/d/{token}/profile");
        Assert.Equal("application/x-apple-aspen-config", profileResponse.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", profileResponse.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("register-device.mobileconfig", profileResponse.Content.Headers.ContentDisposition.FileName?.Trim('"'));
        var profile = Plist.ParseDictionary(await profileResponse.Content.ReadAsByteArrayAsync());
        Assert.Equal("Profile Service", profile.GetString("PayloadType"));
        var content = (PlistDictionary)profile["PayloadContent"];
        Assert.Equal($"https://ota.example.test/d/{token}/enroll", content.GetString("URL"));
        Assert.Equal(["UDID", "PRODUCT", "VERSION", "SERIAL"], content.GetArray("DeviceAttributes")!.Cast<PlistString>().Select(s => s.Value));
        var challenge = content.GetString("Challenge")!;
        Assert.Equal(32, challenge.Length);

        using var posted = await host.PostAnswerAsync(token, _devices.Answer(TestDevices.Attributes(challenge: challenge)));
        Assert.Equal(HttpStatusCode.MovedPermanently, posted.StatusCode);
        Assert.Equal($"https://ota.example.test/d/{token}/done", posted.Headers.Location!.ToString());
        var device = Assert.Single(host.Devices());
        Assert.Equal(("slack", "T0WORK", "U0ALICE"), (device.Platform, device.Workspace, device.UserId));
        Assert.Equal((TestDevices.Udid, "00008130000A1B2C3D4E801E"), (device.Udid, device.UdidNormalized));
        Assert.Equal(("iPhone16,1", "18.1", "F2LXK0ABCDEF", "iPhone 15 Pro (iOS 18.1)"), (device.Product, device.Version, device.Serial, device.Name));
        Assert.Equal(host.App.Clock.GetUtcNow().UtcDateTime, device.RegisteredAt);

        using var done = await phone.GetAsync($"/d/{token}/done");
        var donePage = await done.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Contains("iPhone 15 Pro (iOS 18.1)", donePage, StringComparison.Ordinal);
        Assert.Contains("Remove", donePage, StringComparison.Ordinal);
        Assert.DoesNotContain(TestDevices.Udid, donePage, StringComparison.Ordinal);

        // The link worked once: the page, the profile and a second post are refused.
        Assert.Equal(HttpStatusCode.Gone, (await phone.GetAsync($"/d/{token}")).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await phone.GetAsync($"/d/{token}/profile")).StatusCode);
        using var replayed = await host.PostAnswerAsync(token, _devices.Answer(TestDevices.Attributes(udid: "00008030-001A2B3C4D5E6F70", challenge: challenge)));
        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
        Assert.Equal(TestDevices.Udid, Assert.Single(host.Devices()).Udid);
    }

    [Fact]
    public async Task TheSameDeviceReportedAgainByTheSamePersonUpdatesItsRow()
    {
        await using var host = await DeviceHost.StartAsync();
        await host.RegisterAsync(_devices);
        host.App.Clock.Advance(TimeSpan.FromDays(1));

        await host.RegisterAsync(_devices, udid: "00008130000a1b2c3d4e801e");

        var device = Assert.Single(host.Devices());
        Assert.Equal("00008130000a1b2c3d4e801e", device.Udid);
        Assert.Equal(host.App.Clock.GetUtcNow().UtcDateTime, device.RegisteredAt);
    }

    public static TheoryData<string> BadAnswers => new() { "wrong challenge", "tampered", "oversized", "garbage", "unsigned", "detached", "no udid" };

    [Theory]
    [MemberData(nameof(BadAnswers))]
    public async Task BadAnswerIsRefusedWith400AndStoresNothingAndTheLinkStillWorks(string kind)
    {
        await using var host = await DeviceHost.StartAsync();
        var token = await host.DeviceLinkTokenAsync();
        var challenge = await host.ChallengeAsync(token);
        var xml = Plist.ToXml(TestDevices.Attributes(challenge: challenge));
        var body = kind switch
        {
            "wrong challenge" => _devices.Answer(TestDevices.Attributes(challenge: "0123456789abcdef0123456789abcdef")),
            "tampered" => Tampered(_devices.Answer(TestDevices.Attributes(challenge: challenge))),
            "oversized" => Oversized(challenge),
            "garbage" => RandomNumberGenerator.GetBytes(3000),
            "unsigned" => xml,
            "detached" => TestDevices.SignedAnswer(xml, _devices.Device, _devices.DeviceCa, detached: true),
            _ => _devices.Answer(TestDevices.Attributes(udid: null, challenge: challenge)),
        };

        using var response = await host.PostAnswerAsync(token, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(host.Devices());
        using var good = await host.PostAnswerAsync(token, _devices.Answer(TestDevices.Attributes(challenge: challenge)));
        Assert.Equal(HttpStatusCode.MovedPermanently, good.StatusCode);
    }

    [Fact]
    public async Task UnknownAndExpiredLinksGetFriendlyPagesAndTakeNoAnswer()
    {
        await using var host = await DeviceHost.StartAsync();
        var token = await host.DeviceLinkTokenAsync();
        var challenge = await host.ChallengeAsync(token);
        using var phone = host.Phone();

        using var unknown = await phone.GetAsync("/d/AAAAAAAAAAAAAAAAAAAAAA");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("<code>device</code>", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        host.App.Clock.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await phone.GetAsync($"/d/{token}")).StatusCode);
        host.App.Clock.Advance(TimeSpan.FromSeconds(1));
        using var expired = await phone.GetAsync($"/d/{token}");
        Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var late = await host.PostAnswerAsync(token, _devices.Answer(TestDevices.Attributes(challenge: challenge)));
        Assert.Equal(HttpStatusCode.Gone, late.StatusCode);
        Assert.Empty(host.Devices());
    }

    [Fact]
    public async Task WithTheAppleDeviceCaPinnedOnlyDevicesItIssuedMayReport()
    {
        var pem = Path.GetTempFileName();
        await File.WriteAllTextAsync(pem, _devices.PinnedCa().ExportCertificatePem());
        try
        {
            await using var host = await DeviceHost.StartAsync(new() { ["ChatOpsBot:Devices:AppleDeviceCa"] = pem });
            using var forger = new TestDevices();
            var token = await host.DeviceLinkTokenAsync();
            var challenge = await host.ChallengeAsync(token);

            using var forged = await host.PostAnswerAsync(token, forger.Answer(TestDevices.Attributes(challenge: challenge)));
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
            Assert.Empty(host.Devices());

            using var genuine = await host.PostAnswerAsync(token, _devices.Answer(TestDevices.Attributes(challenge: challenge)));
            Assert.Equal(HttpStatusCode.MovedPermanently, genuine.StatusCode);
            Assert.Single(host.Devices());
        }
        finally
        {
            File.Delete(pem);
        }
    }

    [Fact]
    public async Task WithASigningCertificateTheProfileIsSignedAndCarriesItsChain()
    {
        using var rootKey = RSA.Create(2048);
        var rootRequest = new CertificateRequest("CN=Test Root", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
        using var intermediateKey = RSA.Create(2048);
        var intermediateRequest = new CertificateRequest("CN=Test Intermediate", intermediateKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var intermediatePublic = intermediateRequest.Create(root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(4), [1]);
        using var intermediate = intermediatePublic.CopyWithPrivateKey(intermediateKey);
        using var leafKey = RSA.Create(2048);
        using var leafPublic = new CertificateRequest("CN=ota.example.test", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .Create(intermediate, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), [2]);
        using var leaf = leafPublic.CopyWithPrivateKey(leafKey);
        var pfx = Path.GetTempFileName();
        await File.WriteAllBytesAsync(pfx, new X509Certificate2Collection
        {
            leaf, X509CertificateLoader.LoadCertificate(intermediate.RawData), X509CertificateLoader.LoadCertificate(root.RawData),
        }.Export(X509ContentType.Pkcs12, "secret-password")!);
        try
        {
            await using var host = await DeviceHost.StartAsync(new()
            {
                ["ChatOpsBot:Devices:SigningCertificate"] = pfx,
                ["ChatOpsBot:Devices:SigningCertificatePassword"] = "secret-password",
            });
            var token = await host.DeviceLinkTokenAsync();
            using var phone = host.Phone();

            var body = await phone.GetByteArrayAsync($"/d/{token}/profile");

            var cms = new SignedCms();
            cms.Decode(body);
            cms.CheckSignature(verifySignatureOnly: true);
            Assert.False(cms.Detached);
            Assert.Equal(leaf.Thumbprint, cms.SignerInfos[0].Certificate!.Thumbprint);
            var carried = cms.Certificates.Select(c => c.Thumbprint).ToList();
            Assert.Contains(leaf.Thumbprint, carried);
            Assert.Contains(intermediate.Thumbprint, carried);
            var profile = Plist.ParseDictionary(cms.ContentInfo.Content);
            Assert.Equal($"https://ota.example.test/d/{token}/enroll", ((PlistDictionary)profile["PayloadContent"]).GetString("URL"));
        }
        finally
        {
            File.Delete(pfx);
        }
    }

    [Fact]
    public async Task DevicesListsThePersonsOwnAndForgetDeviceDeletesIt()
    {
        await using var host = await DeviceHost.StartAsync();
        await host.RegisterAsync(_devices);
        await host.RegisterAsync(_devices, userId: "U0BOB", udid: "00008030-001A2B3C4D5E6F70");

        var mine = await host.CommandAsync("/devices", "");
        Assert.Contains("iPhone 15 Pro (iOS 18.1)", mine, StringComparison.Ordinal);
        Assert.Contains(TestDevices.Udid, mine, StringComparison.Ordinal);
        Assert.DoesNotContain("00008030-001A2B3C4D5E6F70", mine, StringComparison.Ordinal);

        var unknown = await host.CommandAsync("/devices", "forget ipad");
        Assert.Contains("no device called", unknown, StringComparison.Ordinal);
        Assert.Equal(2, host.Devices().Count);

        var forgot = await host.CommandAsync("/devices", "forget iphone 15");
        Assert.Contains("Forgot iPhone 15 Pro (iOS 18.1)", forgot, StringComparison.Ordinal);
        Assert.Equal("U0BOB", Assert.Single(host.Devices()).UserId);
        Assert.Contains("no registered devices", await host.CommandAsync("/devices", ""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForgetDeviceWithANameTwoDevicesShareSaysSoAndForgetsNothing()
    {
        await using var host = await DeviceHost.StartAsync();
        await host.RegisterAsync(_devices);
        await host.RegisterAsync(_devices, udid: "00008030-001A2B3C4D5E6F70");

        var ambiguous = await host.CommandAsync("/devices", "forget iPhone");

        Assert.Contains("could be", ambiguous, StringComparison.Ordinal);
        Assert.Equal(2, host.Devices().Count);
        Assert.Contains("Forgot", await host.CommandAsync("/devices", "forget 00008030001a2b3c4d5e6f70"), StringComparison.Ordinal);
        Assert.Equal(TestDevices.Udid, Assert.Single(host.Devices()).Udid);
    }

    [Fact]
    public async Task DeviceLinksAreDeletedByTheExpiryJobAnHourAfterTheirEndAndTheDeviceStays()
    {
        await using var host = await DeviceHost.StartAsync();
        await host.RegisterAsync(_devices);
        await host.DeviceLinkTokenAsync();

        host.App.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1));
        Assert.Equal(2, await ExpireAndCountLinksAsync(host));
        host.App.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await ExpireAndCountLinksAsync(host));
        Assert.Single(host.Devices());
    }

    private static async Task<int> ExpireAndCountLinksAsync(DeviceHost host)
    {
        using var scope = host.App.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<ExpireLinksJob>().RunAsync(CancellationToken.None);
        return await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().DeviceLinks.CountAsync();
    }

    [Fact]
    public async Task NoUdidOrSerialReachesTheLogs()
    {
        await using var host = await DeviceHost.StartAsync();
        await host.RegisterAsync(_devices);
        await host.CommandAsync("/devices", "");
        var token = await host.DeviceLinkTokenAsync();
        using var refused = await host.PostAnswerAsync(token, _devices.Answer(TestDevices.Attributes(challenge: "wrong")));

        var logs = string.Join("\n", host.App.Logs);
        Assert.Contains("refused: WrongChallenge", logs, StringComparison.Ordinal);
        foreach (var secret in new[] { TestDevices.Udid, Udid.Normalize(TestDevices.Udid), "F2LXK0ABCDEF", token })
            Assert.DoesNotContain(secret, logs, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("ChatOpsBot__Devices__SigningCertificate", "ChatOpsBot:Devices:SigningCertificate cannot be used")]
    [InlineData("ChatOpsBot__Devices__AppleDeviceCa", "ChatOpsBot:Devices:AppleDeviceCa cannot be read")]
    public async Task ACertificateThatCannotBeReadStopsTheHostNamingTheKey(string variable, string message)
    {
        var garbage = Path.GetTempFileName();
        await File.WriteAllTextAsync(garbage, "not a certificate");
        try
        {
            var (exit, output) = await HostProcess.RunUntilExitAsync(new() { [variable] = garbage });

            Assert.Equal(1, exit);
            Assert.Contains(message, output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(garbage);
        }
    }

    private static byte[] Tampered(byte[] answer)
    {
        var copy = answer.ToArray();
        var at = copy.AsSpan().IndexOf("iPhone16,1"u8);
        copy[at + 6] = (byte)'7';
        return copy;
    }

    private byte[] Oversized(string challenge)
    {
        var attributes = TestDevices.Attributes(challenge: challenge);
        attributes["PADDING"] = new string('x', DeviceEnrollment.MaxBodyBytes);
        return _devices.Answer(attributes);
    }
}
