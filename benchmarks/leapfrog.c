/* The course's leapfrog scheme as a plain C loop: the reference for the practical limit.
   Usage: leapfrog NX NT REPEATS -> prints the best forward time in ms and a checksum. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
    int nx = atoi(argv[1]), nt = atoi(argv[2]), repeats = atoi(argv[3]);
    float dx = 1.0f / (nx - 1), dt = 0.5f * dx;
    float *c = malloc(nx * sizeof *c), *r2 = malloc(nx * sizeof *r2);
    float *a = malloc((nx + 2) * sizeof *a), *b = malloc((nx + 2) * sizeof *b);
    double best = 1e30, checksum = 0;
    for (int rep = 0; rep < repeats; rep++) {
        double start = now();
        memset(a, 0, (nx + 2) * sizeof *a); /* a zero just outside both ends */
        memset(b, 0, (nx + 2) * sizeof *b);
        for (int i = 0; i < nx; i++) {
            float x = i * dx;
            c[i] = 0.9f + 0.1f * i / (nx - 1);
            r2[i] = (c[i] * dt / dx) * (c[i] * dt / dx);
            a[i + 1] = expf(-powf((x - 0.5f) / 0.2f, 2));
            b[i + 1] = expf(-powf((x - c[i] * dt - 0.5f) / 0.2f, 2));
        }
        for (int n = 0; n < nt; n++) { /* a holds u^{n-1}, b holds u^n; a becomes u^{n+1} */
            for (int i = 1; i <= nx; i++)
                a[i] = 2 * b[i] - a[i] + r2[i - 1] * (b[i + 1] - 2 * b[i] + b[i - 1]);
            float *t = a; a = b; b = t;
        }
        double elapsed = now() - start;
        if (elapsed < best) best = elapsed;
        checksum = 0;
        for (int i = 1; i <= nx; i++) checksum += b[i];
    }
    printf("%.4f %.6e\n", 1e3 * best, checksum);
    return 0;
}
