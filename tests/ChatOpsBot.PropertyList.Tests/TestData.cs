namespace ChatOpsBot.PropertyList.Tests;

internal static class TestData
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "TestData");

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(Directory, name));
}
