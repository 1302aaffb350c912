namespace ChatOpsBot.Tests;

public sealed class AnnouncementSettingsTests
{
    [Theory]
    [InlineData("ChatOpsBot__Announcements__ClaimTimeout", "00:00:01", "ChatOpsBot:Announcements:ClaimTimeout must be at least 00:00:05.")]
    [InlineData("ChatOpsBot__Announcements__SweepInterval", "00:00:00", "ChatOpsBot:Announcements:SweepInterval must be positive.")]
    public async Task AnAnnouncementRecoverySettingThatCannotWorkStopsTheHostNamingTheKey(string key, string value, string message)
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new() { [key] = value });

        Assert.Equal(1, exit);
        Assert.StartsWith("ChatOpsBot cannot start:", output.TrimStart(), StringComparison.Ordinal);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
