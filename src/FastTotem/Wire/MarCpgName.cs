using System.Diagnostics.CodeAnalysis;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastTotem.Wire;

/// <summary>
/// mar_cpg_name_t (ipc_cpg.h): an 8-aligned length and 128 name bytes, 136 bytes (docs/wire-format.md §11).
/// The name is not NUL-terminated; bytes after <see cref="Length"/> are kept as they arrived.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct MarCpgName
{
    public const int Size = 136;
    public const int ValueMax = 128;

    [FieldOffset(0)] public uint Length;
    [FieldOffset(4)] public uint Pad4;
    [FieldOffset(8)] public MarCpgNameValue Value;

    public static MarCpgName Create(ReadOnlySpan<byte> name)
    {
        if (name.Length > ValueMax)
        {
            Invariant.ThrowArgumentOutOfRange(nameof(name), "out of range");
        }

        MarCpgName result = default;
        result.Length = (uint)name.Length;
        name.CopyTo(result.Value);
        return result;
    }

    /// <summary>The valid name bytes; only call after <see cref="IsValid"/>.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> Name => ((ReadOnlySpan<byte>)Value).Slice(0, (int)Length);

    public readonly bool IsValid => Length <= ValueMax;

    /// <summary>swab_mar_cpg_name_t: the length only.</summary>
    internal void Swap() => Length = BinaryPrimitives.ReverseEndianness(Length);
}
