"""Benchmarks de la orden ``catastro``: tiempo y memoria pico por etapa y tamaño.

Cada etapa corre como proceso aparte (como la usaría una persona) y se mide con ``os.wait4``:
tiempo de reloj y memoria residente máxima de ese proceso. Los distritos de prueba se generan
en ``bench/datos/`` (no se versionan).

Uso: ``python bench/correr.py [--tamanos 10000,100000,1000000] [--etapas generar,validar]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

RAIZ = Path(__file__).resolve().parents[1]
DATOS = RAIZ / "bench" / "datos"
CATASTRO = [sys.executable, "-m", "geo.cli"]


def medir(orden: list[str]) -> dict:
    """Ejecuta ``orden`` y devuelve segundos, memoria pico (MB) y código de salida."""
    inicio = time.perf_counter()
    proc = subprocess.Popen(orden, cwd=RAIZ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, estado, uso = os.wait4(proc.pid, 0)
    segundos = time.perf_counter() - inicio
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    return {"segundos": round(segundos, 2), "memoria_mb": round(uso.ru_maxrss / 1024, 1),
            "salida": os.waitstatus_to_exitcode(estado), "error": err[-500:]}


def medir_pulso() -> dict:
    """Segundos del trabajo fijo de ``bench/pulso.py`` (en otro proceso, como las etapas)."""
    r = subprocess.run([sys.executable, str(RAIZ / "bench" / "pulso.py")], cwd=RAIZ,
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        return {"error": r.stderr.strip()[-300:]}
    return json.loads(r.stdout)


def _pulso_texto(p: dict) -> str:
    if "error" in p:
        return f"no se pudo medir ({p['error']})"
    return (f"{p['total']:.2f} s (numpy {p['numpy']:.2f} · GEOS {p['geos']:.2f} · "
            f"SQLite {p['sqlite']:.2f})")


def etapas(n: int) -> dict[str, list[str]]:
    gpkg = DATOS / f"distrito_{n}.gpkg"
    return {
        "generar": CATASTRO + ["generar-ejemplo", "--predios", str(n), "--salida", str(gpkg)],
        "validar": CATASTRO + ["validar", str(gpkg), "--formato", "json"],
        "derivar": CATASTRO + ["derivar", str(gpkg), "--salida",
                               str(DATOS / f"derivados_{n}.gpkg")],
        # el mismo distrito con el 1 % de los frontis confirmados en campo (ver con_confirmados)
        "confirmados": CATASTRO + ["derivar", str(DATOS / f"distrito_{n}_confirmados.gpkg"),
                                   "--salida", str(DATOS / f"derivados_{n}_confirmados.gpkg")],
        "tarifas": CATASTRO + ["tarifas", str(gpkg), "--salida", str(DATOS / f"tarifas_{n}")],
    }


def con_confirmados(n: int) -> None:
    """Copia el distrito de ``n`` predios con uno de cada 100 frontis confirmados en campo
    (10 m; algunos son predios sin frontis derivado), como lo haría la oficina de catastro
    con ``catastro confirmar-frontis --archivo``. No se mide."""
    import shutil

    import pyogrio

    origen = DATOS / f"distrito_{n}.gpkg"
    destino = DATOS / f"distrito_{n}_confirmados.gpkg"
    if destino.exists() and destino.stat().st_mtime >= origen.stat().st_mtime:
        return
    copia = destino.with_name(f".{destino.name}")  # a medio hacer no pasa por lista
    shutil.copyfile(origen, copia)
    codigos = pyogrio.read_dataframe(origen, layer="predios", columns=["codigo"],
                                     read_geometry=False)["codigo"].iloc[::100]
    csv = DATOS / f"confirmados_{n}.csv"
    codigos.to_frame().assign(metros=10, observacion="banco").to_csv(csv, index=False)
    subprocess.run(CATASTRO + ["confirmar-frontis", "--archivo", str(csv), "--usuario",
                               "banco", "--capas", str(copia)],
                   cwd=RAIZ, check=True, stdout=subprocess.DEVNULL)
    os.replace(copia, destino)


def main() -> int:
    p = argparse.ArgumentParser(description="Benchmarks de catastro")
    p.add_argument("--tamanos", default="10000,100000,1000000")
    p.add_argument("--etapas", default="generar,validar,derivar,confirmados,tarifas")
    args = p.parse_args()
    DATOS.mkdir(parents=True, exist_ok=True)
    pulso_antes = medir_pulso()
    print(f"Pulso de la máquina antes (bench/pulso.py): {_pulso_texto(pulso_antes)}")
    if "versiones" in pulso_antes:
        print("Bibliotecas: " + " · ".join(f"{k} {v}"
                                           for k, v in pulso_antes["versiones"].items()))
    print()
    resultados = []
    print(f"{'etapa':<12}{'predios':>12}{'segundos':>11}{'memoria MB':>12}  salida")
    for n in (int(t) for t in args.tamanos.split(",")):
        for etapa, orden in etapas(n).items():
            if etapa not in args.etapas.split(","):
                continue
            if etapa == "confirmados":
                con_confirmados(n)
            r = medir(orden) | {"etapa": etapa, "predios": n}
            resultados.append(r)
            print(f"{etapa:<12}{n:>12,}{r['segundos']:>11.2f}{r['memoria_mb']:>12.1f}  "
                  f"{r['salida']}", flush=True)
            if r["salida"] not in (0, 1):
                print(f"   {r['error'].strip()[-300:]}")
    pulso_despues = medir_pulso()
    print(f"\nPulso de la máquina después: {_pulso_texto(pulso_despues)}")
    print("   (compare tiempos de días distintos junto con su pulso: ver «Rendimiento medido» "
          "en el README)")
    (DATOS / "resultados.json").write_text(json.dumps(
        {"pulso_antes": pulso_antes, "pulso_despues": pulso_despues,
         "etapas": resultados}, indent=2))
    extra = RAIZ / "bench" / "bench_derivar.py"
    if extra.exists() and "derivar" in args.etapas:
        print("\nFrontis: vectorizado vs geopandas.overlay")
        subprocess.run([sys.executable, str(extra)], cwd=RAIZ, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
