using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Ror6 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ror_resources_ResourceType_NameKey",
                table: "ror_resources");

            migrationBuilder.CreateTable(
                name: "ror_search_keys",
                columns: table => new
                {
                    Kind = table.Column<string>(type: "character varying(1)", maxLength: 1, nullable: false),
                    Key = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    ResourceId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ror_search_keys", x => new { x.Kind, x.Key, x.ResourceId });
                });

            migrationBuilder.CreateTable(
                name: "ror_search_words",
                columns: table => new
                {
                    Kind = table.Column<string>(type: "character varying(1)", maxLength: 1, nullable: false),
                    Word = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ror_search_words", x => new { x.Kind, x.Word });
                });

            migrationBuilder.CreateIndex(
                name: "IX_ror_resources_ResourceType_NameKey_ResourceId",
                table: "ror_resources",
                columns: new[] { "ResourceType", "NameKey", "ResourceId" });

            migrationBuilder.CreateIndex(
                name: "IX_ror_search_keys_ResourceId",
                table: "ror_search_keys",
                column: "ResourceId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ror_search_keys");

            migrationBuilder.DropTable(
                name: "ror_search_words");

            migrationBuilder.DropIndex(
                name: "IX_ror_resources_ResourceType_NameKey_ResourceId",
                table: "ror_resources");

            migrationBuilder.CreateIndex(
                name: "IX_ror_resources_ResourceType_NameKey",
                table: "ror_resources",
                columns: new[] { "ResourceType", "NameKey" });
        }
    }
}
