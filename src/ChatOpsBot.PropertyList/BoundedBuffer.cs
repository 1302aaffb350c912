using System.Buffers;

namespace ChatOpsBot.PropertyList;

/// <summary>Reads a stream into pooled memory, refusing to grow past a cap.</summary>
internal sealed class BoundedBuffer(int maxLength) : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int _length;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public void ReadAll(Stream stream)
    {
        int read;
        while ((read = stream.Read(NextChunk().Span)) > 0)
            _length += read;
    }

    public async ValueTask ReadAllAsync(Stream stream, CancellationToken cancellationToken)
    {
        int read;
        while ((read = await stream.ReadAsync(NextChunk(), cancellationToken).ConfigureAwait(false)) > 0)
            _length += read;
    }

    private Memory<byte> NextChunk()
    {
        if (_length > maxLength)
            throw new PropertyListFormatException($"The property list is larger than the limit of {maxLength} bytes.");
        // One byte past the cap is room enough to tell "exactly at the limit" from "over it".
        var capacity = (int)Math.Min((long)maxLength + 1, Array.MaxLength);
        if (_length == _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)_buffer.Length * 2, capacity));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        return _buffer.AsMemory(_length, Math.Min(_buffer.Length, capacity) - _length);
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
