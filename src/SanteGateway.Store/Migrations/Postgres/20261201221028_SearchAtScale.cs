using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SearchAtScale : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "FirstNameKey",
                table: "identities",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                collation: "C",
                oldClrType: typeof(string),
                oldType: "character varying(100)",
                oldMaxLength: 100);

            migrationBuilder.AlterColumn<string>(
                name: "BirthNamePhonetic",
                table: "identities",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                collation: "C",
                oldClrType: typeof(string),
                oldType: "character varying(100)",
                oldMaxLength: 100);

            migrationBuilder.AlterColumn<string>(
                name: "BirthNameKey",
                table: "identities",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                collation: "C",
                oldClrType: typeof(string),
                oldType: "character varying(100)",
                oldMaxLength: 100);

            migrationBuilder.AddColumn<string>(
                name: "UsedNameKey",
                table: "identities",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true,
                collation: "C");

            migrationBuilder.CreateTable(
                name: "identity_homonym_counts",
                columns: table => new
                {
                    Kind = table.Column<string>(type: "character varying(1)", maxLength: 1, nullable: false),
                    NameKey = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false, collation: "C"),
                    OtherKey = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false, collation: "C"),
                    Count = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_identity_homonym_counts", x => new { x.Kind, x.NameKey, x.OtherKey });
                });

            // Counts of the identities already stored (the context keeps them from now on); used name keys are
            // filled at start-up by IdentityMaintenance (accent folding is done in .NET, not SQL).
            migrationBuilder.Sql("INSERT INTO identity_homonym_counts (\"Kind\", \"NameKey\", \"OtherKey\", \"Count\") SELECT 'D', \"BirthNameKey\", to_char(\"BirthDate\", 'YYYY-MM-DD'), count(*) FROM identities WHERE \"MergedIntoId\" IS NULL GROUP BY \"BirthNameKey\", to_char(\"BirthDate\", 'YYYY-MM-DD')");
            migrationBuilder.Sql("INSERT INTO identity_homonym_counts (\"Kind\", \"NameKey\", \"OtherKey\", \"Count\") SELECT 'F', \"BirthNameKey\", \"FirstNameKey\", count(*) FROM identities WHERE \"MergedIntoId\" IS NULL GROUP BY \"BirthNameKey\", \"FirstNameKey\"");
            migrationBuilder.Sql("INSERT INTO identity_homonym_counts (\"Kind\", \"NameKey\", \"OtherKey\", \"Count\") SELECT 'N', \"BirthNameKey\", '', count(*) FROM identities WHERE \"MergedIntoId\" IS NULL GROUP BY \"BirthNameKey\"");

            // Only tombstones: an index over "MergedIntoId IS NULL" (every live row) lured SQLite's planner (no statistics)
            // away from the name-key indexes for prefix ranges; the partial index still serves "MergedIntoId = @survivor".
            migrationBuilder.DropIndex(
                name: "IX_identities_MergedIntoId",
                table: "identities");

            migrationBuilder.CreateIndex(
                name: "IX_identities_MergedIntoId",
                table: "identities",
                column: "MergedIntoId",
                filter: "\"MergedIntoId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_identities_UsedNameKey_FirstNameKey_Id",
                table: "identities",
                columns: new[] { "UsedNameKey", "FirstNameKey", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_identities_MergedIntoId",
                table: "identities");

            migrationBuilder.CreateIndex(
                name: "IX_identities_MergedIntoId",
                table: "identities",
                column: "MergedIntoId");

            migrationBuilder.DropTable(
                name: "identity_homonym_counts");

            migrationBuilder.DropIndex(
                name: "IX_identities_UsedNameKey_FirstNameKey_Id",
                table: "identities");

            migrationBuilder.DropColumn(
                name: "UsedNameKey",
                table: "identities");

            migrationBuilder.AlterColumn<string>(
                name: "FirstNameKey",
                table: "identities",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(100)",
                oldMaxLength: 100,
                oldCollation: "C");

            migrationBuilder.AlterColumn<string>(
                name: "BirthNamePhonetic",
                table: "identities",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(100)",
                oldMaxLength: 100,
                oldCollation: "C");

            migrationBuilder.AlterColumn<string>(
                name: "BirthNameKey",
                table: "identities",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(100)",
                oldMaxLength: 100,
                oldCollation: "C");
        }
    }
}
