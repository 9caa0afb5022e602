namespace FastTotem.Tests.Wire;

/// <summary>Byte literals for tests, written as in docs/wire-format.md: hex digits with spaces and '|' as separators.</summary>
internal static class WireHex
{
    public static byte[] Parse(string text)
    {
        var digits = new System.Text.StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (Uri.IsHexDigit(c))
            {
                digits.Append(c);
            }
            else if (c != ' ' && c != '|' && c != '\n' && c != '\r')
            {
                throw new FormatException($"Unexpected character '{c}' in hex literal.");
            }
        }

        return Convert.FromHexString(digits.ToString());
    }
}
