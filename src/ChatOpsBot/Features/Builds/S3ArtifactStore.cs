using System.Net;
using System.Runtime.CompilerServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace ChatOpsBot.Features.Builds;

/// <summary>
/// Artifacts as objects <c>{Prefix}ab/&lt;sha256&gt;</c> in an S3-compatible bucket. Uploads are spooled to a local file
/// first (the hash names the object, and the IPA is inspected before anything is stored), then sent in one PUT or,
/// above the part size, as a multipart upload read from the file one part at a time, so memory stays flat whatever
/// the size. Downloads ask for exactly the range a response sends. Every failure of the store surfaces as an
/// <see cref="ArtifactStoreUnavailableException"/>; the credentials are the SDK's to hold and are never logged.
/// </summary>
internal sealed partial class S3ArtifactStore : IArtifactStore, IDisposable
{
    private readonly AmazonS3Client _s3;
    // Presigns the URLs nginx fetches objects with: path-style at the signed origin (the same client when _s3 is).
    private readonly AmazonS3Client _handOffSigner;
    private readonly Uri _signedOrigin;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly long _partSize;
    private readonly Protocol _protocol;
    private readonly ILogger<S3ArtifactStore> _logger;

    public S3ArtifactStore(S3ArtifactOptions options, ILogger<S3ArtifactStore> logger)
    {
        _bucket = options.Bucket!;
        _prefix = options.Prefix;
        _partSize = options.PartSize;
        _protocol = options.ServiceUrl?.StartsWith("http:", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS;
        _logger = logger;
        var config = Config(options.ForcePathStyle);
        if (!string.IsNullOrEmpty(options.ServiceUrl))
        {
            config.ServiceURL = options.ServiceUrl;
            if (!string.IsNullOrEmpty(options.Region))
                config.AuthenticationRegion = options.Region;
        }
        else if (!string.IsNullOrEmpty(options.Region))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        _s3 = Client(options, config);
        _signedOrigin = options.SignedOrigin();
        if (options.ForcePathStyle && !string.IsNullOrEmpty(options.ServiceUrl))
        {
            _handOffSigner = _s3;
        }
        else
        {
            // An explicit endpoint, so the URL's origin is the one the start-up notice names, not one the SDK picks.
            var pathStyle = Config(forcePathStyle: true);
            pathStyle.ServiceURL = string.IsNullOrEmpty(options.ServiceUrl) ? _signedOrigin.ToString() : options.ServiceUrl;
            pathStyle.AuthenticationRegion = options.SigningRegion() ?? "us-east-1";
            _handOffSigner = Client(options, pathStyle);
        }
    }

    private static AmazonS3Config Config(bool forcePathStyle) => new()
    {
        ForcePathStyle = forcePathStyle,
        // The SDK's default (checksums on every request, sent as trailers in aws-chunked bodies) is what MinIO,
        // Ceph, R2 and older S3-compatible servers differ on most; only where the API requires one.
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    };

    private static AmazonS3Client Client(S3ArtifactOptions options, AmazonS3Config config) =>
        string.IsNullOrEmpty(options.AccessKeyId)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey), config);

    public async Task<bool> AddAsync(string localFile, string sha256, CancellationToken cancellationToken)
    {
        var key = KeyOf(sha256);
        var added = await Guard(async () =>
        {
            if (await ExistsAsync(key, cancellationToken))
                return false;
            var size = new FileInfo(localFile).Length;
            if (size <= _partSize)
            {
                await _s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    FilePath = localFile,
                    ContentType = "application/octet-stream",
                    UseChunkEncoding = false,
                }, cancellationToken);
            }
            else
            {
                await UploadInPartsAsync(localFile, key, size, cancellationToken);
            }
            return true;
        }, "store", cancellationToken);
        // The object is there (stored now or before): the local copy has done its work. On a failure it stays, for
        // the upload that spooled it to delete.
        File.Delete(localFile);
        return added;
    }

    public async Task<bool> AddAsync(ReadOnlyMemory<byte> content, string sha256, CancellationToken cancellationToken)
    {
        var key = KeyOf(sha256);
        return await Guard(async () =>
        {
            if (await ExistsAsync(key, cancellationToken))
                return false;
            await using var body = new MemoryStream(content.ToArray(), writable: false);
            await _s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket,
                Key = key,
                InputStream = body,
                ContentType = "application/octet-stream",
                UseChunkEncoding = false,
            }, cancellationToken);
            return true;
        }, "store", cancellationToken);
    }

    public async ValueTask<Stream?> OpenReadAsync(string sha256, CancellationToken cancellationToken)
    {
        var response = await GetAsync(new GetObjectRequest { BucketName = _bucket, Key = KeyOf(sha256) }, cancellationToken);
        // Disposing the response stream ends the response with it.
        return response?.ResponseStream;
    }

    public ValueTask<IArtifactReader?> OpenRangesAsync(string sha256, long size, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IArtifactReader?>(new RangeReader(this, KeyOf(sha256), size));

    public Task DeleteAsync(string sha256, CancellationToken cancellationToken) =>
        Guard(() => _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = KeyOf(sha256) }, cancellationToken), "delete", cancellationToken);

    public async IAsyncEnumerable<(string Sha256, DateTime LastWriteUtc)> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix, ContinuationToken = continuation };
            var page = await Guard(() => _s3.ListObjectsV2Async(request, cancellationToken), "list", cancellationToken);
            foreach (var entry in page.S3Objects ?? [])
            {
                if (Sha256Of(entry.Key) is { } sha256)
                    yield return (sha256, entry.LastModified is { } written ? written.ToUniversalTime() : DateTime.MinValue);
            }
            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuation is not null);
    }

    public async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            // The cheapest request the policy already allows (s3:ListBucket), and it proves the bucket exists.
            await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix, MaxKeys = 1 }, cancellationToken);
            return null;
        }
        catch (Exception e) when (IsStoreFailure(e, cancellationToken))
        {
            return $"The artifact bucket {_bucket} cannot be reached ({Describe(e)}).";
        }
    }

    public void Dispose()
    {
        if (!ReferenceEquals(_handOffSigner, _s3))
            _handOffSigner.Dispose();
        _s3.Dispose();
    }

    /// <summary>Parts in order, each read from the spooled file where it lies; an upload that fails is aborted, so no part lingers.</summary>
    private async Task UploadInPartsAsync(string localFile, string key, long size, CancellationToken cancellationToken)
    {
        var upload = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = _bucket,
            Key = key,
            ContentType = "application/octet-stream",
        }, cancellationToken);
        try
        {
            var parts = new List<PartETag>();
            var position = 0L;
            for (var number = 1; position < size; number++)
            {
                var length = Math.Min(_partSize, size - position);
                var part = await _s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    UploadId = upload.UploadId,
                    PartNumber = number,
                    FilePath = localFile,
                    FilePosition = position,
                    PartSize = length,
                    UseChunkEncoding = false,
                }, cancellationToken);
                parts.Add(new PartETag(number, part.ETag));
                position += length;
            }
            await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket,
                Key = key,
                UploadId = upload.UploadId,
                PartETags = parts,
            }, cancellationToken);
        }
        catch
        {
            try
            {
                await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = upload.UploadId }, CancellationToken.None);
            }
            catch (Exception e) when (IsStoreFailure(e, CancellationToken.None))
            {
                // A bucket lifecycle rule (AbortIncompleteMultipartUpload) is the backstop for parts left behind.
                LogAbortFailed(key, Describe(e));
            }
            throw;
        }
    }

    private async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = key }, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task<GetObjectResponse?> GetAsync(GetObjectRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await _s3.GetObjectAsync(request, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (IsStoreFailure(e, cancellationToken))
        {
            throw Unavailable("read", e);
        }
    }

    private async Task<T> Guard<T>(Func<Task<T>> operation, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await operation();
        }
        catch (Exception e) when (IsStoreFailure(e, cancellationToken))
        {
            throw Unavailable(what, e);
        }
    }

    private ArtifactStoreUnavailableException Unavailable(string what, Exception e)
    {
        var description = Describe(e);
        LogStoreFailed(what, _bucket, description);
        return new ArtifactStoreUnavailableException($"The artifact store could not {what} an object in bucket {_bucket} ({description}).", e);
    }

    /// <summary>
    /// The store refused or could not be reached. A cancellation of the caller's own is not one, but the SDK's
    /// HttpClient timing out (a cancellation nobody asked for) is.
    /// </summary>
    private static bool IsStoreFailure(Exception e, CancellationToken cancellationToken) =>
        e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException
        || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>The service's error code and status, or the exception's type: never a request's signature or credentials.</summary>
    private static string Describe(Exception e) => e switch
    {
        AmazonServiceException { ErrorCode: { Length: > 0 } code } service => $"{code}, HTTP {(int)service.StatusCode}",
        AmazonServiceException service when service.StatusCode != 0 => $"HTTP {(int)service.StatusCode}",
        { InnerException: { } inner } when e is AmazonClientException => inner.GetType().Name,
        _ => e.GetType().Name,
    };

    private string KeyOf(string sha256)
    {
        if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower))
            throw new ArgumentException("An artifact name is a lowercase hex SHA-256.", nameof(sha256));
        return $"{_prefix}{sha256[..2]}/{sha256}";
    }

    /// <summary>The artifact a key names, or null for anything else under the prefix (which retention then leaves alone).</summary>
    private string? Sha256Of(string key)
    {
        if (!key.StartsWith(_prefix, StringComparison.Ordinal))
            return null;
        var name = key.AsSpan(_prefix.Length);
        if (name.Length != 67 || name[2] != '/' || !name[..2].SequenceEqual(name[3..5]))
            return null;
        var sha256 = name[3..].ToString();
        return sha256.All(char.IsAsciiHexDigitLower) ? sha256 : null;
    }

    /// <summary>Nothing is fetched until a range is asked for: a HEAD or a 416 answers from the row's size alone.</summary>
    private sealed class RangeReader(S3ArtifactStore store, string key, long size) : IArtifactReader
    {
        private GetObjectResponse? _response;

        public long Length => size;

        public async ValueTask<Stream> ReadRangeAsync(long from, long count, CancellationToken cancellationToken)
        {
            _response?.Dispose();
            _response = await store.GetAsync(new GetObjectRequest
            {
                BucketName = store._bucket,
                Key = key,
                ByteRange = new ByteRange(from, from + count - 1),
            }, cancellationToken);
            if (_response is null)
                throw new ArtifactStoreUnavailableException($"The object {key} is missing from bucket {store._bucket}.", new FileNotFoundException(key));
            return _response.ResponseStream;
        }

        public async ValueTask<string?> PresignedUrlAsync(TimeSpan lifetime, string fileName, string contentType) =>
            await store.Guard(() => store._s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
            {
                BucketName = store._bucket,
                Key = key,
                Verb = HttpVerb.GET,
                Protocol = store._protocol,
                // The store checks the signature against its own clock, so the lifetime is counted on the wall clock.
                Expires = TimeProvider.System.GetUtcNow().UtcDateTime + lifetime,
                ResponseHeaderOverrides =
                {
                    ContentType = contentType,
                    ContentDisposition = $"attachment; filename=\"{fileName}\"",
                },
            }), "sign a URL for", CancellationToken.None);

        public async ValueTask<string?> PresignedPathAsync(TimeSpan lifetime)
        {
            var presigned = await store.Guard(() => store._handOffSigner.GetPreSignedURLAsync(new GetPreSignedUrlRequest
            {
                BucketName = store._bucket,
                Key = key,
                Verb = HttpVerb.GET,
                Protocol = store._signedOrigin.Scheme == Uri.UriSchemeHttp ? Protocol.HTTP : Protocol.HTTPS,
                Expires = TimeProvider.System.GetUtcNow().UtcDateTime + lifetime,
            }), "sign a URL for", CancellationToken.None);
            // nginx sends the request to the origin its location names: a URL signed for another would be refused.
            var url = new Uri(presigned);
            if (Uri.Compare(url, store._signedOrigin, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) != 0)
                throw new InvalidOperationException($"The store presigned a URL for {url.GetLeftPart(UriPartial.Authority)}, not for {store._signedOrigin.GetLeftPart(UriPartial.Authority)}.");
            // The SDK's own escaping of path and query, as signed.
            return presigned[presigned.IndexOf('/', url.Scheme.Length + 3)..];
        }

        public ValueTask DisposeAsync()
        {
            _response?.Dispose();
            _response = null;
            return ValueTask.CompletedTask;
        }
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Error, Message = "The artifact store could not {Operation} an object in bucket {Bucket}: {Error}")]
    private partial void LogStoreFailed(string operation, string bucket, string error);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "Aborting the failed multipart upload of {Key} failed too ({Error}); the bucket's lifecycle rule for incomplete uploads removes its parts")]
    private partial void LogAbortFailed(string key, string error);
}
