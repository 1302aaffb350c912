using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace ChatOpsBot.Tests.S3;

/// <summary>
/// The test store checks signatures as AWS S3 does (s3rver alone accepts anything): these show that it refuses what
/// a real store would, so the tests that pass through it mean the host's signed requests and URLs are right.
/// </summary>
public sealed class SignatureGateTests(S3rverFixture fixture) : IClassFixture<S3rverFixture>
{
    private S3rverServer S3 => fixture.Server;

    [Fact]
    public async Task RequestSignedWithAnotherSecretIsRefused()
    {
        using var client = new AmazonS3Client(new BasicAWSCredentials(S3rverServer.AccessKeyId, "not-the-secret"), new AmazonS3Config
        {
            ServiceURL = S3.ServiceUrl, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
        });

        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverServer.Bucket }));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", refused.ErrorCode);
    }

    [Fact]
    public async Task PresignedUrlWorksAsSignedAndNotWithItsQueryPathOrHostChanged()
    {
        var key = "gate/" + Guid.NewGuid().ToString("N") + "/a b+c.ipa";
        using var client = S3.Client();
        await client.PutObjectAsync(new PutObjectRequest { BucketName = S3rverServer.Bucket, Key = key, ContentBody = "bytes", UseChunkEncoding = false });
        var url = await client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = S3rverServer.Bucket, Key = key, Verb = HttpVerb.GET, Protocol = Protocol.HTTP,
            Expires = DateTime.UtcNow.AddMinutes(5),
            ResponseHeaderOverrides = { ContentDisposition = "attachment; filename=\"app.ipa\"" },
        });
        using var http = new HttpClient();

        using var asSigned = await http.GetAsync(url);
        using var otherQuery = await http.GetAsync(url.Replace("filename%3D%22app.ipa", "filename%3D%22other.ipa", StringComparison.Ordinal));
        using var otherPath = await http.GetAsync(url.Replace("a%20b%2Bc.ipa", "a%20b%2Bd.ipa", StringComparison.Ordinal));
        using var otherHost = new HttpRequestMessage(HttpMethod.Get, url);
        otherHost.Headers.Host = "store.example.test";
        using var viaOtherHost = await http.SendAsync(otherHost);
        using var unsigned = await http.GetAsync(url[..url.IndexOf('?', StringComparison.Ordinal)]);

        Assert.Equal(HttpStatusCode.OK, asSigned.StatusCode);
        Assert.Equal("bytes", await asSigned.Content.ReadAsStringAsync());
        Assert.NotEqual(url, url.Replace("filename%3D%22app.ipa", "filename%3D%22other.ipa", StringComparison.Ordinal));
        Assert.NotEqual(url, url.Replace("a%20b%2Bc.ipa", "a%20b%2Bd.ipa", StringComparison.Ordinal));
        Assert.Equal(
            (HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden),
            (otherQuery.StatusCode, otherPath.StatusCode, viaOtherHost.StatusCode, unsigned.StatusCode));
    }
}
