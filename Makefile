# catastro — dos órdenes bastan en una máquina nueva con Python 3.11:
#   make demo   instala y ejecuta todo el flujo sobre el distrito de ejemplo
#   make test   instala y ejecuta las pruebas
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
CAPAS  ?= capas/oxapampa.gpkg
SALIDAS ?= salidas

.PHONY: instalar demo test bench ejemplo limpiar

instalar: $(VENV)/.instalado

$(VENV)/.instalado: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Se necesita Python 3.11 o superior (PYTHON=python3.11 make …)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(CAPAS): | instalar
	$(BIN)/catastro generar-ejemplo --salida $(CAPAS) --informe

ejemplo: instalar
	$(BIN)/catastro generar-ejemplo --salida $(CAPAS) --informe

demo: instalar $(CAPAS)
	@mkdir -p $(SALIDAS)
	@echo "== 1. Validación de las capas"
	$(BIN)/catastro validar $(CAPAS)
	@echo "== 2. Derivaciones: frontis, parques, zonas, micro-rutas"
	$(BIN)/catastro derivar $(CAPAS) --salida $(SALIDAS)/derivados.gpkg
	@echo "== 3. Verificación de la Ordenanza 466-2019 contra sus propios cuadros"
	$(BIN)/catastro verificar-ordenanza > $(SALIDAS)/verificacion-ordenanza.txt && tail -n 6 $(SALIDAS)/verificacion-ordenanza.txt
	@echo "   Reporte completo: $(SALIDAS)/verificacion-ordenanza.txt"
	@echo "== 4. Arbitrios por predio desde el catastro"
	$(BIN)/catastro tarifas $(CAPAS) --salida $(SALIDAS)/tarifas
	@echo "== 5. Mapas publicables (sin conexión) y láminas A3"
	$(BIN)/catastro mapas $(CAPAS) --salida mapas --imprimir
	@echo ""
	@echo "Listo. Derivados: $(SALIDAS)/derivados.gpkg · Arbitrios: $(SALIDAS)/tarifas/arbitrios_predios.csv · Informe técnico: $(SALIDAS)/tarifas/informe.html"
	@echo "Mapas: $(CURDIR)/mapas/index.html"

test: instalar
	$(BIN)/python -m pytest -q

bench: instalar
	$(BIN)/python bench/correr.py
	$(BIN)/python bench/bench_mapas.py
	$(BIN)/python bench/bench_actualizar.py
	@if [ -f bench/bench_incremental.py ]; then $(BIN)/python bench/bench_incremental.py; fi
	@if [ -n "$$CATASTRO_PG" ]; then $(BIN)/python bench/bench_postgis.py $(if $(MILLON),--millon); \
	else echo "(sin CATASTRO_PG: se omite la comparación con PostGIS; ver .ci/postgis.sh)"; fi

limpiar:
	rm -rf $(VENV) $(SALIDAS) .pytest_cache
