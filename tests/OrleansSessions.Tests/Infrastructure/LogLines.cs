using System.Text.RegularExpressions;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>Reads the output of the hosts' console logger: <c>warn: Category[EventId]</c>, then the message lines.</summary>
public static partial class LogLines
{
    /// <summary>The categories of the entries at <paramref name="level"/> (<c>info</c>, <c>warn</c>, <c>fail</c>, <c>crit</c>), in order.</summary>
    public static IReadOnlyList<string> Categories(IEnumerable<string> lines, string level)
        => [.. lines.Select(l => Header().Match(l)).Where(m => m.Success && m.Groups["level"].Value == level).Select(m => m.Groups["category"].Value)];

    /// <summary>Lines of a stack trace (<c>   at Some.Method()</c>).</summary>
    public static IReadOnlyList<string> StackFrames(IEnumerable<string> lines) => [.. lines.Where(l => StackFrame().IsMatch(l))];

    /// <summary>Entries at error level or above, each with its message line.</summary>
    public static IReadOnlyList<string> Errors(IReadOnlyList<string> lines)
        => [.. lines.Select((l, i) => (Line: l, Index: i))
            .Where(x => Header().Match(x.Line) is { Success: true } m && m.Groups["level"].Value is "fail" or "crit")
            .Select(x => x.Index + 1 < lines.Count ? $"{x.Line} {lines[x.Index + 1].Trim()}" : x.Line)];

    [GeneratedRegex(@"^(?<level>trce|dbug|info|warn|fail|crit): (?<category>[^\[\s]+)\[")]
    private static partial Regex Header();

    [GeneratedRegex(@"^\s+at \S")]
    private static partial Regex StackFrame();
}
