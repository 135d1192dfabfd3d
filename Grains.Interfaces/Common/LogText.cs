using System.Globalization;
using System.Text;

namespace OrleansSessions.Common;

/// <summary>
/// Text from outside (exception messages that may quote ids or names) as a structured log parameter: control
/// characters are escaped, so a crafted value cannot forge or split log lines, and it is cut to a sane length.
/// </summary>
public static class LogText
{
    private const int MaxLength = 512;

    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var source = text.Length > MaxLength ? text.AsSpan(0, MaxLength) : text.AsSpan();
        if (source.IndexOfAnyInRange('\0', '\x1f') < 0 && !source.Contains('\x7f') && source.Length == text.Length)
        {
            return text;
        }

        var escaped = new StringBuilder(source.Length + 16);
        foreach (var c in source)
        {
            _ = char.IsControl(c)
                ? escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture))
                : escaped.Append(c);
        }

        return text.Length > MaxLength ? escaped.Append('…').ToString() : escaped.ToString();
    }
}
