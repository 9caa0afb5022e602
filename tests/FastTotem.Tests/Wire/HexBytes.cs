namespace FastTotem.Tests.Wire;

/// <summary>Byte literals written as hex, with spaces and '|' allowed as separators.</summary>
internal static class HexBytes
{
    public static byte[] Parse(string hex)
    {
        var digits = new System.Text.StringBuilder(hex.Length);
        foreach (char c in hex)
        {
            if (Uri.IsHexDigit(c))
            {
                digits.Append(c);
            }
            else if (c != ' ' && c != '|' && c != '\n' && c != '\r')
            {
                throw new ArgumentException($"bad hex character '{c}'");
            }
        }

        return Convert.FromHexString(digits.ToString());
    }

    public static byte[] Concat(params byte[][] parts)
    {
        int length = 0;
        foreach (byte[] p in parts)
        {
            length += p.Length;
        }

        byte[] result = new byte[length];
        int offset = 0;
        foreach (byte[] p in parts)
        {
            p.CopyTo(result, offset);
            offset += p.Length;
        }

        return result;
    }

    public static byte[] Zeros(int count) => new byte[count];

    public static byte[] Fill(int count, byte value)
    {
        byte[] result = new byte[count];
        Array.Fill(result, value);
        return result;
    }
}
