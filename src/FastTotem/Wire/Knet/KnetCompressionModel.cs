namespace FastTotem.Wire.Knet;

/// <summary>The compression model ids a DATA packet's compress byte can name (libknet compress.c). See docs/knet.md.</summary>
internal enum KnetCompressionModel : byte
{
    None = 0,
    Zlib = 1,
    Lz4 = 2,
    Lz4hc = 3,
    Lzo2 = 4,
    Lzma = 5,
    Bzip2 = 6,
    Zstd = 7,
}
