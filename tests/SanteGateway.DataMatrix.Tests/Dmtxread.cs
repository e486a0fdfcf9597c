using System.Diagnostics;

namespace SanteGateway.DataMatrix.Tests;

/// <summary>Runs the independent libdmtx decoder (Debian dmtx-utils) on an image and returns the raw bytes it prints.</summary>
internal static class Dmtxread
{
    public const string Path = "/usr/bin/dmtxread";

    public static byte[] Decode(byte[] png, string? extraArgs = null)
    {
        File.Exists(Path).Should().BeTrue("dmtx-utils must be installed (.ci/run installs it)");
        var file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"santegw-dm-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(file, png);
        try
        {
            var psi = new ProcessStartInfo(Path)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.ArgumentList.Add("-N1");
            psi.ArgumentList.Add("-m");
            psi.ArgumentList.Add("20000");
            if (extraArgs is not null)
            {
                psi.ArgumentList.Add(extraArgs);
            }

            psi.ArgumentList.Add(file);
            using var process = Process.Start(psi)!;
            using var output = new MemoryStream();
            process.StandardOutput.BaseStream.CopyTo(output);
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return output.ToArray();
        }
        finally
        {
            File.Delete(file);
        }
    }
}
