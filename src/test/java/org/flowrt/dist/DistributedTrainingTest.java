package org.flowrt.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.flowrt.io.Safetensors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `flowrt train` as MPI jobs: `mpirun --oversubscribe -np 2` of the real command line (two JVMs,
 * Open MPI, the CPU backend, one thread per rank) against one process with the doubled batch. Needs
 * Open MPI (scripts/install-mpi.sh) and a build that found its headers; skipped elsewhere, failed
 * under FLOWRT_REQUIRE_MPI=1 (CI).
 */
class DistributedTrainingTest {
  @TempDir static Path shared;
  static Path data;
  @TempDir Path dir;

  @BeforeAll
  static void requireMpi() throws IOException {
    String missing = null;
    if (MpiLibrary.class.getResource("linux-x86_64/libjniMpiLibrary.so") == null)
      missing = "flowrt was built without Open MPI's headers (no libjniMpiLibrary.so)";
    else if (!onPath("mpirun")) missing = "mpirun is not on the PATH";
    if (missing != null) {
      if ("1".equals(System.getenv("FLOWRT_REQUIRE_MPI"))) throw new AssertionError("FLOWRT_REQUIRE_MPI=1 but " + missing);
      Assumptions.abort(missing + ": run scripts/install-mpi.sh, then mvn test");
    }
    data = org.flowrt.cli.CliRunner.idxDataset(shared.resolve("data"), 64, 8);
  }

  private static boolean onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
      if (Files.isExecutable(Path.of(d, program))) return true;
    return false;
  }

  /** A small run: 8×8 grey images, L2 K2 width 8, batch per rank as given, lr 2e-3 unless given. */
  private static List<String> train(Path out, int batch, String... more) {
    List<String> a = new ArrayList<>(List.of("train", "--data", data.toString(), "--out", out.toString(), "--levels", "2",
        "--steps", "2", "--width", "8", "--eval-images", "8", "--samples", "4", "--warmup-epochs", "0", "--backend", "cpu",
        "--batch", String.valueOf(batch)));
    a.addAll(List.of(more));
    if (!a.contains("--lr")) a.addAll(List.of("--lr", "0.002"));
    if (!a.contains("--n-init")) a.addAll(List.of("--n-init", "16"));
    return a;
  }

  private static List<String> java(List<String> args) {
    List<String> c = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xss8m", "-cp",
        org.flowrt.testing.TestProcesses.classpath(), "org.flowrt.cli.Main"));
    c.addAll(args);
    return c;
  }

  private static List<String> mpirun(int ranks, List<String> args) {
    List<String> c = new ArrayList<>(List.of("mpirun", "--oversubscribe", "-np", String.valueOf(ranks)));
    c.addAll(java(args));
    return c;
  }

  record Finished(int exit, String output) {}

  private Process start(List<String> command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("OMP_NUM_THREADS", "1");  // one thread per rank: two ranks share this machine's cores
    env.put("OMPI_ALLOW_RUN_AS_ROOT", "1");  // CI runs as root
    env.put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    env.put("OMPI_MCA_rmaps_base_oversubscribe", "1");
    env.put("OMPI_MCA_btl", "self,vader,tcp");  // shared memory between the ranks of this machine
    return pb.start();
  }

  /** Runs a job to its end; the timeout only keeps a hung job from hanging the build. */
  private Finished run(List<String> command, int timeoutSeconds) throws Exception {
    Process p = start(command);
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS), "the job ends instead of hanging");
    return new Finished(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private Finished ok(List<String> command) throws Exception {
    Finished f = run(command, 240);
    assertEquals(0, f.exit(), String.join(" ", command) + "\n" + f.output());
    return f;
  }

  private static Map<String, Safetensors.Tensor> tensors(Path out) throws IOException {
    return Safetensors.read(out.resolve("checkpoint.safetensors")).tensors();
  }

  /** Largest |a − b| over every float tensor of two checkpoints (parameters and optimizer moments). */
  private static double maxDiff(Path a, Path b) throws IOException {
    Map<String, Safetensors.Tensor> ta = tensors(a), tb = tensors(b);
    assertEquals(ta.keySet(), tb.keySet());
    double d = 0;
    for (String name : ta.keySet()) {
      if (!ta.get(name).dtype().equals("F32")) {
        assertTrue(java.util.Arrays.equals(ta.get(name).ints(), tb.get(name).ints()), name);
        continue;
      }
      float[] x = ta.get(name).floats(), y = tb.get(name).floats();
      for (int i = 0; i < x.length; i++) d = Math.max(d, Math.abs((double) x[i] - y[i]));
    }
    return d;
  }

  private static List<double[]> bpdCurve(Path out) throws IOException {
    List<double[]> curve = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      if (o.has("train_bpd")) curve.add(new double[] {o.get("step").getAsLong(), o.get("train_bpd").getAsDouble()});
    }
    return curve;
  }

  private static void assertSameCurve(List<double[]> a, List<double[]> b) {
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i)[0], b.get(i)[0]);
      assertEquals(a.get(i)[1], b.get(i)[1], 1e-5, "train bpd of step " + (long) a.get(i)[0]);
    }
  }

  // float32 sums of the same gradients in another order; measured ~1e-7 (DataParallelSuite). 1e-5
  // is far below one step's change (lr 2e-3), so a missed or doubled gradient would fail it.
  private static final double TOLERANCE = 1e-5;

  @Test
  void twoRanksEndWithTheParametersOfOneProcessWithTheDoubledBatch() throws Exception {
    Path two = dir.resolve("two"), one = dir.resolve("one");
    Finished job = ok(mpirun(2, train(two, 4, "--max-steps", "4", "--check-sync-every", "1")));
    ok(java(train(one, 8, "--max-steps", "4")));
    // (the text after "rank" is left out: under a C locale, as CI runs the distribution, "×" prints as "?")
    assertTrue(job.output().contains("data-parallel over 2 ranks") && job.output().contains("global batch 8 = 4 per rank"), job.output());
    // Counted in the whole output: mpirun forwards a rank's stdout and stderr separately, so lines can interleave.
    assertEquals(1, job.output().split("test bpd ", -1).length - 1, "rank 0 alone reports:\n" + job.output());
    assertSameCurve(bpdCurve(one), bpdCurve(two));
    double diff = maxDiff(one, two);
    assertTrue(diff <= TOLERANCE, "parameters and moments off by " + diff);
  }

  @Test
  void theInitOfTwoRanksIsTheInitOfOneProcessOnTheUnion() throws Exception {
    // One step at a vanishing learning rate leaves the init's parameters in the checkpoint.
    Path two = dir.resolve("two"), one = dir.resolve("one"), half = dir.resolve("half");
    ok(mpirun(2, train(two, 4, "--max-steps", "1", "--lr", "1e-30")));
    ok(java(train(one, 8, "--max-steps", "1", "--lr", "1e-30")));
    ok(java(train(half, 8, "--max-steps", "1", "--lr", "1e-30", "--n-init", "8")));  // rank 0's share alone
    assertTrue(maxDiff(one, two) <= 1e-6, "init off by " + maxDiff(one, two));
    assertTrue(maxDiff(one, half) > 1e-3, "the comparison can fail: a share's init differs by " + maxDiff(one, half));
  }

  @Test
  void aTwoRankCheckpointResumesOnOneRankAndContinuesIdentically() throws Exception {
    Path straight = dir.resolve("straight"), split = dir.resolve("split");
    ok(mpirun(2, train(straight, 4, "--max-steps", "4")));
    ok(mpirun(2, train(split, 4, "--max-steps", "2")));
    // No --batch: the saved global batch of 8 is kept, all of it on the one rank.
    Finished resumed = ok(java(List.of("train", "--out", split.toString(), "--resume", "--max-steps", "4", "--backend", "cpu",
        "--samples", "4", "--eval-images", "8")));
    assertTrue(resumed.output().contains("resum"), resumed.output());
    assertSameCurve(bpdCurve(straight), bpdCurve(split));
    double diff = maxDiff(straight, split);
    assertTrue(diff <= TOLERANCE, "off by " + diff);
    // And back to two ranks from the one-rank checkpoint.
    Finished again = ok(mpirun(2, List.of("train", "--out", split.toString(), "--resume", "--max-steps", "5", "--backend", "cpu",
        "--samples", "4", "--eval-images", "8")));
    assertTrue(again.output().contains("global batch 8 = 4 per rank"), again.output());
  }

  @Test
  void aFailingRankEndsEveryRankNamingItself() throws Exception {
    // Rank 1 is given a data folder that does not exist, while rank 0 starts normally and then
    // waits for rank 1 in the ranks' first sum: the job must end, not hang.
    Path out = dir.resolve("run");
    List<String> command = new ArrayList<>(List.of("mpirun", "--oversubscribe", "-np", "1"));
    command.addAll(java(train(out, 4, "--max-steps", "1000")));
    command.addAll(List.of(":", "-np", "1"));
    List<String> bad = train(out, 4, "--max-steps", "1000");
    bad.set(bad.indexOf("--data") + 1, dir.resolve("missing").toString());
    command.addAll(java(bad));
    Finished f = run(command, 120);
    assertNotEquals(0, f.exit(), f.output());
    assertTrue(f.output().contains("flowrt: error: rank 1 of 2:") && f.output().contains("missing"), f.output());
  }

  @Test
  void aKilledRankEndsTheJobAndTheCheckpointSurvives() throws Exception {
    // How soon the job ends is measured by scripts/kill-rank-check.sh, not asserted here.
    Path out = dir.resolve("run");
    Process job = start(mpirun(2, train(out, 4, "--max-steps", "1000000", "--checkpoint-minutes", "0")));
    job.getOutputStream().close();
    Thread drain = new Thread(() -> {
      try {
        job.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      } catch (IOException ignored) {
        // the job ended
      }
    });
    drain.start();
    Path checkpoint = out.resolve("checkpoint.safetensors");
    // Until the job has checkpointed and logged a few steps; the job ending first is a failure.
    while (!(Files.exists(checkpoint) && Files.exists(out.resolve("metrics.jsonl"))
        && Files.readAllLines(out.resolve("metrics.jsonl")).size() >= 5))
      assertFalse(job.waitFor(100, TimeUnit.MILLISECONDS), "the job runs");
    ProcessHandle rank1 = job.toHandle().descendants().filter(h -> rankOf(h) == 1).findFirst().orElseThrow();
    assertTrue(rank1.destroyForcibly(), "kill -9 rank 1");
    assertTrue(job.waitFor(120, TimeUnit.SECONDS), "the job ends instead of hanging");
    assertNotEquals(0, job.exitValue());
    assertTrue(job.toHandle().descendants().noneMatch(ProcessHandle::isAlive), "no rank is left running");
    // Rank 0 was killed at any point of its loop, a save included: the checkpoint is whole.
    Safetensors.Contents c = Safetensors.read(checkpoint);
    assertTrue(c.checksummed() && !c.tensors().isEmpty(), "the last checkpoint loads and verifies");
  }

  @Test
  void oneRankOnTheCudaBackendSumsItsGradientsThroughNccl() throws Exception {
    // The GPU path of a job: MPI broadcasts rank 0's NCCL unique id, NCCL sums the gradients on the
    // backend's stream. Here over the host shim of CUDA, cuDNN and NCCL (one rank per process: the
    // shim's ranks meet only inside one process); on a GPU machine the same command runs on the GPU.
    Path shim = Path.of(System.getProperty("flowrt.testNatives", "target/cuda-shim"));
    Assumptions.assumeTrue(Files.exists(shim.resolve("libnccl.so.2")), "no host shim of CUDA (nvcc absent)");
    Path out = dir.resolve("run");
    List<String> args = train(out, 4, "--max-steps", "2", "--distributed", "mpi");
    args.set(args.indexOf("--backend") + 1, "cuda");
    List<String> command = new ArrayList<>(List.of("mpirun", "-x", "LD_LIBRARY_PATH=" + shim.toAbsolutePath(), "-np", "1"));
    command.addAll(java(args));
    Finished f = ok(command);
    assertTrue(f.output().contains("rank 0 of 1 (MPI + NCCL)") && f.output().contains("flowrt host shim"), f.output());
    assertEquals(2, bpdCurve(out).size());
  }

  /** The MPI rank of a process (from its environment), or −1 if it is not a rank. */
  private static int rankOf(ProcessHandle h) {
    try {
      String env = Files.readString(Path.of("/proc", String.valueOf(h.pid()), "environ"), StandardCharsets.ISO_8859_1);
      for (String v : env.split("\0"))
        if (v.startsWith("OMPI_COMM_WORLD_RANK=")) return Integer.parseInt(v.substring("OMPI_COMM_WORLD_RANK=".length()));
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
