namespace FastTotem.Config;

/// <summary>One <c>key: value</c> item of corosync.conf with the line it came from.</summary>
internal sealed record ConfigItem(string Key, string Value, int Line);

/// <summary>
/// A section of corosync.conf (<c>name { ... }</c>): its items in file order and its subsections.
/// The syntax follows corosync's parser (coroparse.c parse_section): one statement per line,
/// '#' starts a comment line, <c>key: value</c> splits at the first colon, braces stand alone.
/// </summary>
internal sealed class ConfigSection
{
    public ConfigSection(string name, int line)
    {
        Name = name;
        Line = line;
    }

    public string Name { get; }

    public int Line { get; }

    public List<ConfigItem> Items { get; } = new();

    public List<ConfigSection> Sections { get; } = new();

    /// <summary>The last value given for <paramref name="key"/> (corosync lets a later item win).</summary>
    public ConfigItem? Find(string key)
    {
        ConfigItem? found = null;
        foreach (ConfigItem item in Items)
        {
            if (item.Key == key)
            {
                found = item;
            }
        }

        return found;
    }

    public IEnumerable<ConfigSection> All(string name)
    {
        foreach (ConfigSection s in Sections)
        {
            if (s.Name == name)
            {
                yield return s;
            }
        }
    }

    public ConfigSection? First(string name)
    {
        foreach (ConfigSection s in Sections)
        {
            if (s.Name == name)
            {
                return s;
            }
        }

        return null;
    }

    /// <summary>Parses corosync.conf text into a tree of sections; errors carry the line number.</summary>
    public static ConfigSection Parse(string text, string? fileName = null)
    {
        var root = new ConfigSection("", 0);
        var stack = new Stack<ConfigSection>();
        stack.Push(root);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            string line = lines[i].TrimEnd('\r').Trim(' ', '\t');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line.Length > 511)
            {
                throw new CorosyncConfigException("line too long (corosync reads at most 511 characters)", lineNo, fileName);
            }

            ParseStatement(line, lineNo, stack, fileName);
        }

        if (stack.Count > 1)
        {
            ConfigSection open = stack.Peek();
            throw new CorosyncConfigException($"missing closing brace for section '{open.Name}' opened here", open.Line, fileName);
        }

        return root;
    }

    /// <summary>
    /// One line. Beyond corosync's one-statement-per-line syntax, the compact layout
    /// <c>node { ring0_addr: node1</c> ... <c>nodeid: 1 }</c> is accepted too (the text after '{' is the section's
    /// first item, a trailing '}' after an item closes the section), because hand-written and documented examples
    /// use it. corosync 3.1.7 itself refuses that layout ("Extra characters after opening bracket").
    /// </summary>
    private static void ParseStatement(string line, int lineNo, Stack<ConfigSection> stack, string? fileName)
    {
        {
            int brace = line.IndexOf('{');
            if (brace >= 0)
            {
                string name = line[..brace].Trim(' ', '\t');
                if (name.Length == 0)
                {
                    throw new CorosyncConfigException("missing section name before '{'", lineNo, fileName);
                }

                var section = new ConfigSection(name, lineNo);
                stack.Peek().Sections.Add(section);
                stack.Push(section);
                string rest = line[(brace + 1)..].Trim(' ', '\t');
                if (rest.Length != 0)
                {
                    ParseStatement(rest, lineNo, stack, fileName);
                }

                return;
            }

            int colon = line.IndexOf(':');
            if (colon >= 0)
            {
                string key = line[..colon].Trim(' ', '\t');
                string value = line[(colon + 1)..].Trim(' ', '\t');
                if (key.Length == 0)
                {
                    throw new CorosyncConfigException("missing key before ':'", lineNo, fileName);
                }

                int closes = 0;
                while (value.EndsWith('}'))
                {
                    value = value[..^1].TrimEnd(' ', '\t');
                    closes++;
                }

                stack.Peek().Items.Add(new ConfigItem(key, value, lineNo));
                for (int c = 0; c < closes; c++)
                {
                    ParseStatement("}", lineNo, stack, fileName);
                }

                return;
            }

            if (line.Contains('}'))
            {
                if (line != "}")
                {
                    throw new CorosyncConfigException("extra characters before or after '}'", lineNo, fileName);
                }

                if (stack.Count == 1)
                {
                    throw new CorosyncConfigException("unexpected closing brace", lineNo, fileName);
                }

                stack.Pop();
                return;
            }

            throw new CorosyncConfigException($"line is not a section start, a section end or a 'key: value' item: '{line}'", lineNo, fileName);
        }
    }
}
