using System.Text;
using ChatOpsBot.Core.Builds;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Tests.Builds;

public sealed class ZipSafetyTests
{
    private static async Task<IpaInspectionResult> InspectAsync(byte[] ipa, IpaLimits? limits = null)
    {
        using var stream = new MemoryStream(ipa, writable: false);
        return await IpaInspector.InspectAsync(stream, limits);
    }

    // A valid XML plist followed by megabytes of whitespace: only a cap stops it, not a parse error.
    private static byte[] HugeInfoPlist(TestIpaBuilder builder, int padding) =>
        [.. Plist.ToXml(builder.Info), .. Enumerable.Repeat((byte)' ', padding)];

    [Fact]
    public async Task InfoPlistOverTheLimitIsRejectedBeforeInflating()
    {
        var builder = new TestIpaBuilder();
        builder.WithInfoPlistBytes(HugeInfoPlist(builder, 1024 * 1024));

        var result = await InspectAsync(builder.Build());

        Assert.Equal(IpaRejectionReason.EntryTooLarge, result.Rejection?.Reason);
        Assert.Contains("Payload/Demo.app/Info.plist", result.Rejection?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InfoPlistExactlyAtTheLimitIsAccepted()
    {
        var builder = new TestIpaBuilder();
        var xml = Plist.ToXml(builder.Info);
        builder.WithInfoPlistBytes(HugeInfoPlist(builder, 4096 - xml.Length));

        var result = await InspectAsync(builder.Build(), new IpaLimits { MaxInfoPlistBytes = 4096 });

        Assert.True(result.IsAccepted, result.ToString());
    }

    [Fact]
    public async Task ProfileOverTheLimitIsRejected()
    {
        var profile = TestProfiles.Sign(TestProfiles.AdHoc());
        var builder = new TestIpaBuilder().WithProfile(profile);

        var result = await InspectAsync(builder.Build(), new IpaLimits { MaxProfileBytes = profile.Length - 1 });

        Assert.Equal(IpaRejectionReason.EntryTooLarge, result.Rejection?.Reason);
        Assert.Contains("embedded.mobileprovision", result.Rejection?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EntryWhoseHeadersUnderstateItsSizeIsCutOffNotInflated()
    {
        var builder = new TestIpaBuilder();
        builder.WithInfoPlistBytes(HugeInfoPlist(builder, 64 * 1024 * 1024));
        var ipa = builder.Build();
        ZipPatch.SetUncompressedSize(ipa, "Payload/Demo.app/Info.plist", 200);

        var result = await InspectAsync(ipa);

        // Reading stopped at the claimed 200 bytes, which hold a truncated plist; 64 MiB were never inflated.
        Assert.Equal(IpaRejectionReason.InvalidInfoPlist, result.Rejection?.Reason);
    }

    [Fact]
    public async Task BoundedReadStopsAtTheLimitWhateverTheSourceDelivers()
    {
        var endless = new EndlessStream();

        var error = await Assert.ThrowsAsync<IpaRejectedException>(() => EntryReader.ReadBoundedAsync(endless, 1024 * 1024, "Payload/Demo.app/Info.plist", 100, default));

        Assert.Equal(IpaRejectionReason.EntryTooLarge, error.Reason);
        Assert.InRange(endless.Delivered, 1024 * 1024, 1024 * 1024 + 81920);
    }

    [Fact]
    public async Task TooManyEntriesAreRejected()
    {
        var builder = new TestIpaBuilder();
        for (var i = 0; i < 60; i++)
            builder.WithAppFile($"Assets/{i}.txt", [(byte)i]);

        var result = await InspectAsync(builder.Build(), new IpaLimits { MaxEntries = 50 });

        Assert.Equal(IpaRejectionReason.TooManyEntries, result.Rejection?.Reason);
        Assert.Contains("limit is 50", result.Rejection?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndRecordThatUnderstatesTheEntryCountDoesNotSlipPastTheLimit()
    {
        var builder = new TestIpaBuilder();
        for (var i = 0; i < 60; i++)
            builder.WithAppFile($"Assets/{i}.txt", [(byte)i]);
        var ipa = builder.Build();
        ZipPatch.SetRecordedEntryCount(ipa, 5);

        var result = await InspectAsync(ipa, new IpaLimits { MaxEntries = 50 });

        // ZipArchive itself refuses a record that disagrees with the directory it describes.
        Assert.Equal(IpaRejectionReason.NotAZip, result.Rejection?.Reason);
    }

    [Fact]
    public async Task EncryptedInfoPlistIsRejected()
    {
        var ipa = new TestIpaBuilder().Build();
        ZipPatch.MarkEncrypted(ipa, "Payload/Demo.app/Info.plist");

        var result = await InspectAsync(ipa);

        Assert.Equal(IpaRejectionReason.UnsupportedCompression, result.Rejection?.Reason);
        Assert.Contains("encrypted", result.Rejection?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelledInspectionStops()
    {
        using var ipa = new TestIpaBuilder().BuildStream();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => IpaInspector.InspectAsync(ipa, cancellationToken: new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task OversizedCentralDirectoryIsRejected()
    {
        var builder = new TestIpaBuilder();
        builder.WithAppFile(new string('x', 2000) + ".txt", [1]);

        var result = await InspectAsync(builder.Build(), new IpaLimits { MaxCentralDirectoryBytes = 1000 });

        Assert.Equal(IpaRejectionReason.TooManyEntries, result.Rejection?.Reason);
    }

    [Fact]
    public async Task UnsupportedCompressionMethodIsRejected()
    {
        var ipa = new TestIpaBuilder().Build();
        ZipPatch.SetCompressionMethod(ipa, "Payload/Demo.app/Info.plist", 14);

        var result = await InspectAsync(ipa);

        Assert.Equal(IpaRejectionReason.UnsupportedCompression, result.Rejection?.Reason);
        Assert.Contains("Payload/Demo.app/Info.plist", result.Rejection?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CorruptDeflateDataInInfoPlistIsRejected()
    {
        var builder = new TestIpaBuilder();
        builder.WithInfoPlistBytes(HugeInfoPlist(builder, 0));
        var ipa = builder.Build();
        // Stored and deflated entries alike: overwrite the entry's compressed bytes with an invalid block type.
        var nameBytes = Encoding.UTF8.GetBytes("Payload/Demo.app/Info.plist");
        var local = ipa.AsSpan().IndexOf(nameBytes) + nameBytes.Length;
        ipa[local] = 0xFF;
        ipa[local + 1] = 0xFF;

        var result = await InspectAsync(ipa);

        Assert.Equal(IpaRejectionReason.InvalidInfoPlist, result.Rejection?.Reason);
        Assert.Contains("corrupt", result.Rejection?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EntryNamesWithTraversalAreNeverTreatedAsPaths()
    {
        var builder = new TestIpaBuilder()
            .WithEntry("Payload/Demo.app/../../../etc/passwd", [1])
            .WithEntry("/Payload/Demo.app/Info.plist", [2]);

        var result = await InspectAsync(builder.Build());

        // "../.." is just an odd name inside Demo.app's folder; the leading-slash copy is not under Payload/.
        Assert.True(result.IsAccepted, result.ToString());
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "etc", "passwd")));
    }

    [Fact]
    public async Task DamagedIpasAreAcceptedOrRejectedButNeverThrow()
    {
        var original = new TestIpaBuilder().WithNestedBundlesFirst()
            .WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()))
            .WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(40, 40)))
            .Build();
        var random = new Random(20261123);
        var outcomes = new HashSet<string>();
        for (var run = 0; run < 300; run++)
        {
            var damaged = original.ToArray();
            // Damage concentrated on the central directory and headers at the end, and anywhere else.
            for (var flips = random.Next(1, 8); flips > 0; flips--)
            {
                var at = random.Next(2) == 0 ? random.Next(damaged.Length) : damaged.Length - 1 - random.Next(Math.Min(2000, damaged.Length));
                damaged[at] = (byte)random.Next(256);
            }

            var result = await InspectAsync(damaged);

            outcomes.Add(result.IsAccepted ? "accepted" : result.Rejection.Reason.ToString());
        }
        Assert.Contains("accepted", outcomes);
        Assert.True(outcomes.Count > 2, string.Join(", ", outcomes));
    }

    private sealed class EndlessStream : Stream
    {
        public long Delivered { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Delivered; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill((byte)' ');
            Delivered += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
