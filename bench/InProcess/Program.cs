using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;
using Perfolizer.Metrology;

// scripts/bench runs this with --inProcess, --filter '*' and its iteration settings; any BenchmarkDotNet arguments work.
// The CSV gives times in ns and sizes in bytes without units in the cells, for the script to read.
var config = ManualConfig.CreateEmpty()
    .AddColumnProvider(DefaultColumnProviders.Instance)
    .AddLogger(ConsoleLogger.Default)
    .AddAnalyser([.. DefaultConfig.Instance.GetAnalysers()])
    .AddValidator([.. DefaultConfig.Instance.GetValidators()])
    .AddExporter(
        MarkdownExporter.GitHub,
        new CsvExporter(CsvSeparator.Semicolon, new SummaryStyle(CultureInfo.InvariantCulture, printUnitsInHeader: true, SizeUnit.B, TimeUnit.Nanosecond, printUnitsInContent: false)));
BenchmarkSwitcher.FromAssembly(typeof(OrleansSessions.Bench.InProcess.GrainCalls).Assembly).Run(args, config);
