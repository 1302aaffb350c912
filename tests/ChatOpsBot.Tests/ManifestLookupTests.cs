using System.Net;

namespace ChatOpsBot.Tests;

/// <summary>
/// The manifest's own lookup (a statement per provider, on pooled connections) reads the database on every request:
/// on SQLite and, in ./test.sh's second pass, on PostgreSQL.
/// </summary>
public sealed class ManifestLookupTests
{
    [Fact]
    public async Task ARevokedLinkOrBuildStopsTheVeryNextManifestRequest()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys());
        var build = await PostgresReplicas.UploadAsync(app, "lookup");
        var (linkToken, linkId) = await PostgresReplicas.MintAsync(app, build);
        var (buildToken, _) = await PostgresReplicas.MintAsync(app, build);
        using var phone = app.CreateLoopbackClient();
        using var release = app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        // Concurrent and repeated, so the lookup holds several pooled connections with the statement prepared.
        var warm = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await phone.GetAsync($"/i/{linkToken}/manifest.plist");
            return response.StatusCode;
        }));
        Assert.All(warm, s => Assert.Equal(HttpStatusCode.OK, s));

        Assert.Equal(HttpStatusCode.NoContent, (await release.DeleteAsync($"/api/v1/links/{linkId}")).StatusCode);
        var afterLink = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await phone.GetAsync($"/i/{linkToken}/manifest.plist");
            return response.StatusCode;
        }));
        Assert.All(afterLink, s => Assert.Equal(HttpStatusCode.Gone, s));
        Assert.Equal(HttpStatusCode.OK, (await phone.GetAsync($"/i/{buildToken}/manifest.plist")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await release.DeleteAsync($"/api/v1/builds/{build}")).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await phone.GetAsync($"/i/{buildToken}/manifest.plist")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await phone.GetAsync("/i/AAAAAAAAAAAAAAAAAAAAAA/manifest.plist")).StatusCode);
    }
}
